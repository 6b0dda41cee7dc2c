"""Type stubs for the compiled extension ``dynres_fast._core`` (checked by mypy.stubtest)."""

from typing import Optional, Tuple

import numpy as np
import numpy.typing as npt

__version__: str

class DynresError(ValueError): ...
class InvalidImageError(DynresError): ...
class AspectRatioError(DynresError): ...
class BudgetError(DynresError): ...
class GridMismatchError(DynresError): ...

# planning (rust/py/plans.rs)
def smart_resize(
    height: int, width: int, factor: int, min_pixels: float, max_pixels: float, rule: str
) -> Tuple[int, int]: ...
def smart_resize_many(
    heights: npt.NDArray[np.int64],
    widths: npt.NDArray[np.int64],
    factor: int,
    min_pixels: float,
    max_pixels: float,
    rule: str,
    errors: str,
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def video_smart_resize(
    num_frames: int,
    height: int,
    width: int,
    temporal_factor: int,
    factor: int,
    min_pixels: float,
    max_pixels: float,
) -> Tuple[int, int]: ...
def sample_frames(
    total_frames: int,
    video_fps: float,
    fps: float,
    min_frames: float,
    max_frames: Optional[float],
    nframes: Optional[float],
) -> npt.NDArray[np.int64]: ...
def video_budget(
    num_frames: int,
    height: int,
    width: int,
    image_patch_size: int,
    min_pixels: Optional[float],
    max_pixels: Optional[float],
    total_pixels: Optional[float],
    model_seq_len: float,
) -> Tuple[int, int]: ...

# threads (rust/py/threads.rs)
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
