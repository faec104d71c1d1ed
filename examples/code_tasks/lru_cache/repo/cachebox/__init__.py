from cachebox.lru import LRUCache

__all__ = ["LRUCache"]
