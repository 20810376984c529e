# syntax=docker/dockerfile:1
# Build:  docker build -t loan-default .
# Run:    docker run --rm loan-default                     (kedro run on the embedded data)
#         docker run --rm loan-default kedro run --pipelines data_engineering
#         docker run --rm -v "$PWD/data:/app/data" loan-default   (keep the outputs)

# --- build stage: install the project and its dependencies into a virtualenv ---
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install .

# --- runtime stage: the virtualenv, the configuration and nothing else ---
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY pyproject.toml .telemetry ./
COPY conf/base ./conf/base
# Kedro wants the source folder to exist; the installed package is what runs.
RUN mkdir -p src conf/local \
    data/01_raw data/02_intermediate data/03_primary data/04_feature \
    data/05_model_input data/06_models data/07_model_output data/08_reporting \
    && chown -R app:app /app
USER app
ENV PATH=/opt/venv/bin:$PATH \
    KEDRO_DISABLE_TELEMETRY=1 \
    PYTHONUNBUFFERED=1 \
    MPLBACKEND=Agg
CMD ["kedro", "run"]
