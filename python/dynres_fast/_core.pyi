"""Type stubs for the compiled extension ``dynres_fast._core`` (checked by mypy.stubtest)."""

from typing import Any, List, Optional, Tuple

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

# --- ops (resize, crop, to_rgb) ---
def resize(
    image: npt.NDArray[np.uint8],
    height: int,
    width: int,
    filter: str,
    compat: str,
    kernel: str = "auto",
) -> npt.NDArray[np.uint8]: ...
def crop(
    image: npt.NDArray[np.uint8], top: int, left: int, height: int, width: int
) -> npt.NDArray[np.uint8]: ...
def to_rgb(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]: ...
def avx2_available() -> bool: ...

# pixel pipelines (rust/py/pixels.rs)
def qwen2vl_pixel_values(
    visuals: List[npt.NDArray[np.uint8]],
    resized: List[Tuple[int, int]],
    patch_size: int,
    temporal_patch_size: int,
    merge_size: int,
    filter: str,
    compat: str,
    lut: npt.NDArray[Any],
    out: npt.NDArray[Any],
) -> npt.NDArray[np.int64]: ...

# --- pack (rust/py/pack.rs) ---
def pack_ffd(
    lengths: npt.NDArray[np.int64], max_tokens: int, oversize: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...

# --- decode (rust/py/decode.rs, feature "decode") ---
def decode_image(data: bytes) -> npt.NDArray[np.uint8]: ...

# position ids (rust/py/rope.rs)
def mrope_position_ids(
    input_ids: npt.NDArray[np.int64],
    attention_mask: Optional[npt.NDArray[np.int64]],
    image_grid_thw: Optional[npt.NDArray[np.int64]],
    video_grid_thw: Optional[npt.NDArray[np.int64]],
    second_per_grid_ts: Optional[npt.NDArray[np.float32]],
    spatial_merge_size: int,
    image_token_id: int,
    video_token_id: int,
    vision_start_token_id: int,
    tokens_per_second: Optional[int],
    convention: str,
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def vision_position_ids(
    grid_thw: npt.NDArray[np.int64], spatial_merge_size: int
) -> npt.NDArray[np.int64]: ...
def cu_seqlens(grid_thw: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]: ...
def window_index(
    grid_thw: npt.NDArray[np.int64], window_size: int, patch_size: int, spatial_merge_size: int
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
