FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY prompts ./prompts
RUN pip install --no-cache-dir -e .
ENV DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["debate-bot"]
