from .config import CONFIGS, get_config  # noqa: F401
from .model import CCFormer, ExportWrapper, build_model  # noqa: F401
