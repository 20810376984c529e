"""The serve command: finding the champion, refusing to start without one, and a
real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from loan_default.api.cli import EXIT_BAD_SETTINGS, EXIT_NO_CHAMPION, main
from loan_default.api.settings import (
    ApiSettings,
    ChampionNotFoundError,
    resolve_champion_file,
)
from tests.registry import register, registry_database


def serve_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "loan_default.api", "serve", *arguments]


def test_refuses_to_start_without_a_champion(tmp_path):
    result = subprocess.run(
        serve_command("--model-path", str(tmp_path / "champion_model")),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == EXIT_NO_CHAMPION
    assert "cannot start" in result.stderr
    assert "run `kedro run` first" in result.stderr


def test_by_default_the_registry_champion_is_served(tmp_path, capsys):
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert main(["serve"]) == EXIT_NO_CHAMPION
    finally:
        os.chdir(previous)
    error = capsys.readouterr().err
    assert "no registry database at" in error and "data/mlflow.db" in error
    assert "--model-path" in error
    # Nothing was created in the empty project.
    assert not (tmp_path / "data").exists()


def test_a_missing_alias_stops_serve_with_what_to_do(
    tmp_path, champion, new_applications, capsys
):
    example = new_applications.head(2).reset_index(drop=True)
    with registry_database(tmp_path) as experiment:
        register(champion, example, experiment)
        registry = f"sqlite:///{tmp_path}/mlflow.db"
        arguments = ["serve", "--registry-uri", registry]
        assert main([*arguments, "--model-uri", "models:/loan_default@gone"]) == (
            EXIT_NO_CHAMPION
        )
        assert "holds the alias 'gone'" in capsys.readouterr().err
        assert main([*arguments, "--model-uri", "loan_default"]) == EXIT_NO_CHAMPION
        assert "expected models:/<name>@<alias>" in capsys.readouterr().err


def test_the_newest_complete_version_is_served(tmp_path):
    root = tmp_path / "champion_model"
    for version in ("2025-01-02T00.00.00.000Z", "2025-03-01T00.00.00.000Z"):
        (root / version / "champion_model").mkdir(parents=True)
        (root / version / "champion_model" / "manifest.json").write_text("{}")
    # An unfinished save: no manifest yet.
    (root / "2025-09-09T00.00.00.000Z" / "champion_model").mkdir(parents=True)
    newest = root / "2025-03-01T00.00.00.000Z" / "champion_model"
    assert resolve_champion_file(root) == newest
    assert resolve_champion_file(newest.parent) == newest
    assert resolve_champion_file(newest) == newest
    with pytest.raises(ChampionNotFoundError, match="run `kedro run` first"):
        resolve_champion_file(root / "2025-09-09T00.00.00.000Z")


def test_a_bad_variable_stops_serve_with_its_name(monkeypatch, capsys):
    monkeypatch.setenv("LOAN_DEFAULT_API_MAX_BATCH_APPLICATIONS", "0")
    assert main(["serve"]) == EXIT_BAD_SETTINGS
    assert "LOAN_DEFAULT_API_MAX_BATCH_APPLICATIONS" in capsys.readouterr().err


def test_a_flag_wins_over_its_variable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOAN_DEFAULT_API_MODEL_PATH", str(tmp_path / "from-variable"))
    assert main(["serve", "--model-path", str(tmp_path / "from-flag")]) == (
        EXIT_NO_CHAMPION
    )
    assert "from-flag" in capsys.readouterr().err


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity"), reason="CPU affinity is a Linux call"
)
def test_large_batches_use_the_cores_the_process_may_run_on():
    assert ApiSettings().large_batch_threads == len(os.sched_getaffinity(0))
    settings = ApiSettings.from_environment(
        {"LOAN_DEFAULT_API_LARGE_BATCH_THREADS": "3"}
    )
    assert settings.large_batch_threads == 3


def test_bad_flags_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--workers", "0"])
    assert exit_info.value.code == 2
    assert "--workers" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_real_server_answers(saved_champion):
    port = free_port()
    server = subprocess.Popen(
        serve_command(
            "--port",
            str(port),
            "--model-path",
            str(saved_champion),
            "--log-level",
            "warning",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server never became ready"
            time.sleep(0.2)
        response = httpx.post(
            f"{base_url}/predict",
            json={"applications": [{"SK_ID_CURR": 1, "EXT_SOURCE_3": 0.2}]},
            timeout=10,
        )
        assert response.status_code == 200
        (prediction,) = response.json()["predictions"]
        assert prediction["SK_ID_CURR"] == 1
        assert prediction["model_version"] == saved_champion_version(saved_champion)
    finally:
        server.terminate()
        server.wait(timeout=30)


def saved_champion_version(folder: Path) -> str:
    (version,) = [path.name for path in folder.iterdir()]
    return version
