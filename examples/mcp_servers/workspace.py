"""A notes-and-files workspace: tagged notes with search, and a small virtual file tree.

Run: ``python -m examples.mcp_servers.workspace [--state FILE]`` (or by path); state file also
from ``WORKSPACE_STATE_FILE``. Files are virtual (kept in the state document), never on disk.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field

if __package__ in (None, ""):  # run by path: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from examples.mcp_servers._common import ACTION, ADD, CREATE, DESTROY, READ, UPDATE, JsonState, main

ENV_VAR = "WORKSPACE_STATE_FILE"

SEED: dict[str, Any] = {
    "notes": {
        "note_0001": {
            "id": "note_0001",
            "title": "Groceries",
            "body": "milk, eggs, coffee",
            "tags": ["home"],
        },
        "note_0002": {
            "id": "note_0002",
            "title": "Q4 goals",
            "body": "ship the harvest tool; write the report",
            "tags": ["work"],
        },
        # More notes, apart from the sequence new notes take (note_0003, ...).
        "note_0101": {
            "id": "note_0101",
            "title": "Lisbon trip",
            "body": "flights booked for 12 March; find a hotel near Alfama",
            "tags": ["travel"],
        },
        "note_0102": {
            "id": "note_0102",
            "title": "Book ideas",
            "body": "The Dispossessed; Gödel, Escher, Bach; Piranesi",
            "tags": ["ideas"],
        },
        "note_0103": {
            "id": "note_0103",
            "title": "Garden",
            "body": "plant tulip bulbs before the frost; fix the fence",
            "tags": ["home"],
        },
    },
    "files": {
        "/readme.txt": "Welcome to the workspace.\n",
        "/projects/plan.md": "# Plan\n- draft\n",
        "/projects/budget.csv": "item,amount\nlaptop,1200\nsoftware,300\n",
        "/travel/lisbon.md": "# Lisbon\n- Alfama\n- Belem tower\n",
    },
    "_counters": {"note": 2},
}

NoteId = Annotated[str, Field(description="note id, e.g. note_0001")]
FilePath = Annotated[str, Field(pattern=r"^/[^\s]*$", description="absolute path, e.g. /projects/plan.md")]


class Note(BaseModel):
    id: str
    title: str
    body: str
    tags: list[str]


class NoteList(BaseModel):
    notes: list[Note]
    count: int


class Deleted(BaseModel):
    id: str = Field(description="the note id or file path that was deleted")
    deleted: bool


class FileInfo(BaseModel):
    path: str
    size: int


class FileContent(BaseModel):
    path: str
    content: str
    size: int


class FileList(BaseModel):
    files: list[FileInfo]
    count: int


def build(path: Path | None = None) -> MCPServer:
    """A fresh server over the state at `path` (in memory when None)."""
    state = JsonState(path, SEED)
    server = MCPServer("workspace", version="0.1.0", instructions="Notes with tags and a virtual file tree.")
    notes: dict[str, Any] = state.data["notes"]
    files: dict[str, str] = state.data["files"]

    def note(note_id: str) -> dict[str, Any]:
        if note_id not in notes:
            raise ToolError(f"unknown note {note_id!r}; call list_notes or search_notes to find ids")
        return notes[note_id]

    def file(path: str) -> str:
        if path not in files:
            raise ToolError(f"no file at {path!r}; call list_files to see what exists")
        return files[path]

    @server.tool(annotations=CREATE)
    async def create_note(
        title: Annotated[str, Field(min_length=1)],
        body: str = "",
        tags: Annotated[list[str] | None, Field(description="labels such as 'work'")] = None,
    ) -> Note:
        """Create a note."""
        new = Note(id=state.next_id("note"), title=title, body=body, tags=sorted(set(tags or [])))
        notes[new.id] = new.model_dump()
        state.save()
        return new

    @server.tool(annotations=READ)
    async def get_note(note_id: NoteId) -> Note:
        """Get one note by id."""
        return Note(**note(note_id))

    @server.tool(annotations=UPDATE)
    async def update_note(note_id: NoteId, title: str | None = None, body: str | None = None) -> Note:
        """Replace a note's title and/or body."""
        n = note(note_id)
        if title is not None:
            n["title"] = title
        if body is not None:
            n["body"] = body
        state.save()
        return Note(**n)

    @server.tool(annotations=ACTION)
    async def append_to_note(note_id: NoteId, text: Annotated[str, Field(min_length=1)]) -> Note:
        """Append a line of text to a note's body."""
        n = note(note_id)
        n["body"] = f"{n['body']}\n{text}" if n["body"] else text
        state.save()
        return Note(**n)

    @server.tool(annotations=DESTROY)
    async def delete_note(note_id: NoteId) -> Deleted:
        """Delete a note for good."""
        note(note_id)
        del notes[note_id]
        state.save()
        return Deleted(id=note_id, deleted=True)

    @server.tool(annotations=READ)
    async def list_notes(
        tag: Annotated[str | None, Field(description="only notes with this tag")] = None,
    ) -> NoteList:
        """List notes, optionally only those carrying a tag."""
        found = [Note(**n) for _, n in sorted(notes.items()) if tag is None or tag in n["tags"]]
        return NoteList(notes=found, count=len(found))

    @server.tool(annotations=READ)
    async def search_notes(query: Annotated[str, Field(min_length=1)]) -> NoteList:
        """Find notes whose title or body contains every word of the query (case-insensitive)."""
        words = query.lower().split()
        found = [
            Note(**n)
            for _, n in sorted(notes.items())
            if all(w in f"{n['title']} {n['body']}".lower() for w in words)
        ]
        return NoteList(notes=found, count=len(found))

    @server.tool(annotations=ADD)
    async def tag_note(note_id: NoteId, tag: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]) -> Note:
        """Add a tag to a note (no change if it has it)."""
        n = note(note_id)
        n["tags"] = sorted(set(n["tags"]) | {tag})
        state.save()
        return Note(**n)

    @server.tool(annotations=UPDATE)
    async def write_file(path: FilePath, content: str) -> FileInfo:
        """Create or overwrite a file with the given text."""
        files[path] = content
        state.save()
        return FileInfo(path=path, size=len(content.encode()))

    @server.tool(annotations=READ)
    async def read_file(path: FilePath) -> FileContent:
        """Read a file's text."""
        text = file(path)
        return FileContent(path=path, content=text, size=len(text.encode()))

    @server.tool(annotations=READ)
    async def list_files(
        prefix: Annotated[str, Field(description="folder prefix, e.g. /projects/")] = "/",
    ) -> FileList:
        """List files under a folder prefix."""
        found = [
            FileInfo(path=p, size=len(c.encode())) for p, c in sorted(files.items()) if p.startswith(prefix)
        ]
        return FileList(files=found, count=len(found))

    @server.tool(annotations=DESTROY)
    async def delete_file(path: FilePath) -> Deleted:
        """Delete a file."""
        file(path)
        del files[path]
        state.save()
        return Deleted(id=path, deleted=True)

    @server.tool(annotations=ACTION)
    async def move_file(path: FilePath, new_path: FilePath, overwrite: bool = False) -> FileInfo:
        """Move or rename a file; refuses to replace an existing file unless overwrite is true."""
        text = file(path)
        if new_path in files and not overwrite:
            raise ToolError(f"{new_path} exists; pass overwrite=true to replace it")
        del files[path]
        files[new_path] = text
        state.save()
        return FileInfo(path=new_path, size=len(text.encode()))

    return server


if __name__ == "__main__":
    main("workspace", ENV_VAR, build)
