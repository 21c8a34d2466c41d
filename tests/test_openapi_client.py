"""/-/openapi.json is accepted by a client generator, and the generated client talks to the site."""

import asyncio
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = "openbangkok_client"


@pytest.mark.slow
def test_generated_client_reads_the_api(tmp_path, ds, live_server):
    spec = asyncio.run(ds.client.get("/-/openapi.json")).text
    (tmp_path / "openapi.json").write_text(spec, encoding="utf-8")
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [str(generator), "generate", "--path", "openapi.json", "--output-path", PACKAGE, "--meta", "none"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        client = importlib.import_module(PACKAGE).Client(base_url=live_server)
        get_districts = importlib.import_module(f"{PACKAGE}.api.reference.get_districts")
        shape = importlib.import_module(f"{PACKAGE}.models.get_districts_shape").GetDistrictsShape
        response = get_districts.sync_detailed(client=client, field_shape=shape("objects"), district_code="1006")
        assert response.status_code == 200
        assert b"Bang Kapi" in response.content
        assert response.parsed is not None, "the answer fits the response schema the spec declares"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
            del sys.modules[name]
