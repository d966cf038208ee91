import os
import sys

import pytest
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))


@pytest.fixture(scope="session")
def assets():
    from models.synthavs.assets import load_assets
    return load_assets()
