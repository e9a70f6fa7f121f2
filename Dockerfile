# One image for every service: `omnibus serve <service>` picks the service at run time.
FROM python:3.11-slim
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PYTHONUNBUFFERED=1
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs libs
COPY services services
RUN uv sync --frozen --no-dev --all-packages
ENV PATH="/app/.venv/bin:$PATH" OMNIBUS_HTTP_HOST=0.0.0.0 OMNIBUS_HTTP_PORT=8000
EXPOSE 8000
ENTRYPOINT ["omnibus", "serve"]
