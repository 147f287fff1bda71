import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.project import ROOT

pytest_plugins = ["tests.harness.plugin"]


@pytest.fixture(scope="session")
def site_build(tmp_path_factory) -> Path:
    build = os.environ.get("DOCS_BUILD")
    if not build:  # run on its own: build the site now
        build = tmp_path_factory.mktemp("site")
        subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", "docs", str(build)],
                       cwd=ROOT, check=True)
    return Path(build)
