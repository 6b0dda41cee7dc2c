"""Type stubs for the compiled extension ``dynres_fast._core`` (checked by mypy.stubtest)."""

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

__version__: str

class DynresError(ValueError): ...
class InvalidImageError(DynresError): ...
class AspectRatioError(DynresError): ...
class BudgetError(DynresError): ...
class GridMismatchError(DynresError): ...

MAX_ALLOC_BYTES: int

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
def decode_image(data: bytes, allow_truncated: bool = False) -> npt.NDArray[np.uint8]: ...

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

# InternVL / LLaVA-OneVision / Oryx plans (rust/py/families.rs)
_Hw = Tuple[int, int]

def internvl_plan(
    height: int,
    width: int,
    min_num: int,
    max_num: int,
    image_size: int,
    use_thumbnail: bool,
    order: str,
) -> Tuple[int, int, int, int, int, bool, int]: ...
def internvl_candidates(min_num: int, max_num: int, order: str) -> List[_Hw]: ...
def internvl_num_tokens_many(
    heights: npt.NDArray[np.int64],
    widths: npt.NDArray[np.int64],
    min_num: int,
    max_num: int,
    image_size: int,
    use_thumbnail: bool,
    order: str,
    errors: str,
) -> npt.NDArray[np.int64]: ...
def internvl_frame_indices(
    num_frames: int,
    num_segments: int,
    fps: Optional[float],
    bound: Optional[Tuple[float, float]],
    first_idx: int,
    convention: str,
) -> npt.NDArray[np.int64]: ...
def llava_ov_select_best_resolution(
    height: int, width: int, pinpoints: Sequence[_Hw], convention: str
) -> _Hw: ...
def llava_ov_plan(
    height: int, width: int, pinpoints: Sequence[_Hw], convention: str
) -> Tuple[_Hw, _Hw, _Hw, _Hw, _Hw, float, _Hw, int]: ...
def llava_ov_num_tokens_many(
    heights: npt.NDArray[np.int64],
    widths: npt.NDArray[np.int64],
    pinpoints: Sequence[_Hw],
    convention: str,
    errors: str,
) -> npt.NDArray[np.int64]: ...
def pool_features(
    features: npt.NDArray[np.floating[Any]], out_h: int, out_w: int
) -> npt.NDArray[np.floating[Any]]: ...
def linspace_frame_indices(total_frames: int, num_frames: int) -> npt.NDArray[np.int64]: ...
def stride_frame_indices(
    total_frames: int, video_fps: float, fps: float, max_frames: int, force_sample: bool
) -> npt.NDArray[np.int64]: ...
def oryx_plan(
    height: int,
    width: int,
    max_res: int,
    min_res: int,
    lowres_base: int,
    lowres_patch: int,
    highres_patch: int,
) -> Tuple[_Hw, _Hw, _Hw, int]: ...
def oryx_num_tokens_many(
    heights: npt.NDArray[np.int64],
    widths: npt.NDArray[np.int64],
    max_res: int,
    min_res: int,
    lowres_base: int,
    lowres_patch: int,
    highres_patch: int,
    errors: str,
) -> npt.NDArray[np.int64]: ...
def oryx_video_frame_size(
    height: int, width: int, max_res: int, min_res: int, patch: int, long: bool
) -> Tuple[_Hw, int]: ...

# InternVL / LLaVA-OneVision / Oryx pixels (rust/py/family_pixels.rs)
def internvl_pixel_values(
    images: List[npt.NDArray[np.uint8]],
    min_num: int,
    max_num: int,
    image_size: int,
    use_thumbnail: bool,
    order_name: str,
    compat: str,
    resample: str,
    lut: npt.NDArray[Any],
    out: npt.NDArray[Any],
) -> None: ...
def llava_ov_pixel_values(
    images: List[npt.NDArray[np.uint8]],
    pinpoints: Sequence[_Hw],
    convention_name: str,
    max_crops: int,
    compat: str,
    resample: str,
    lut: npt.NDArray[Any],
    out: npt.NDArray[Any],
) -> None: ...
def llava_ov_multi_image_pixel_values(
    images: List[npt.NDArray[np.uint8]],
    background: Tuple[int, int, int],
    compat: str,
    resample: str,
    lut: npt.NDArray[Any],
    out: npt.NDArray[Any],
) -> None: ...
def squashed_frames_pixel_values(
    videos: List[npt.NDArray[np.uint8]],
    sizes: List[_Hw],
    compat: str,
    resample: str,
    lut: npt.NDArray[Any],
    out: npt.NDArray[Any],
) -> None: ...
def oryx_pixel_values(
    image: npt.NDArray[np.uint8],
    max_res: int,
    min_res: int,
    lowres_base: int,
    lowres_patch: int,
    highres_patch: int,
    compat: str,
    resample: str,
    lut: npt.NDArray[Any],
    high: npt.NDArray[Any],
    low: npt.NDArray[Any],
) -> None: ...
