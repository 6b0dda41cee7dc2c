"""Type stubs for the compiled extension ``dynres_fast._core`` (checked by mypy.stubtest)."""

from typing import Any, List, Optional, Sequence, Tuple, final

import numpy as np
import numpy.typing as npt

__version__: str

class DynresError(ValueError): ...
class InvalidImageError(DynresError): ...
class AspectRatioError(DynresError): ...
class BudgetError(DynresError): ...
class GridMismatchError(DynresError): ...

# limits and option lists, defined once in Rust (rust/py/family.rs, rust/py/errors.rs)
MAX_ALLOC_BYTES: int
MAX_SIDE: int
MAX_IMAGE_SIDE: int
MAX_THREADS: int
FILTERS: Tuple[str, ...]
PIL_RESAMPLE: Tuple[str, ...]
COMPATS: Tuple[str, ...]
REFERENCES: Tuple[str, ...]

# Qwen2-VL size and frame rules (rust/py/qwen2vl.rs)
def smart_resize(
    height: int, width: int, factor: int, min_pixels: float, max_pixels: float, reference: str
) -> Tuple[int, int]: ...
def smart_resize_many(
    heights: npt.NDArray[np.int64],
    widths: npt.NDArray[np.int64],
    factor: int,
    min_pixels: float,
    max_pixels: float,
    reference: str,
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
    rule: str,
) -> Tuple[int, int]: ...
def sample_frames(
    total_frames: int,
    video_fps: float,
    fps: float,
    min_frames: float,
    max_frames: Optional[float],
    num_frames: Optional[float],
) -> npt.NDArray[np.int64]: ...
def sample_indices(
    total_frames: int,
    rule: str,
    video_fps: Optional[float],
    fps: Optional[float],
    num_frames: Optional[float],
    min_frames: Optional[float],
    max_frames: Optional[float],
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
def to_rgb(image: npt.NDArray[np.uint8], alpha: str = "drop") -> npt.NDArray[np.uint8]: ...
def avx2_available() -> bool: ...

# --- pack (rust/py/pack.rs) ---
def pack_ffd(
    lengths: npt.NDArray[np.int64], max_tokens: int, oversize: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...

# --- decode (rust/py/decode.rs, feature "decode") ---
def decode_image(
    data: bytes, allow_truncated: bool = False, keep_alpha: bool = False
) -> npt.NDArray[np.uint8]: ...

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

_Hw = Tuple[int, int]
_Box = Tuple[int, int, int, int]
_Table = npt.NDArray[Any]
_Images = List[npt.NDArray[np.uint8]]

# the family configs and their plans (rust/py/{qwen2vl,internvl,llava_onevision,oryx}.rs)
@final
class Qwen2VLPlan:
    @property
    def resized(self) -> _Hw: ...
    @property
    def grid_thw(self) -> Tuple[int, int, int]: ...
    @property
    def num_frames(self) -> Optional[int]: ...
    @property
    def patch_size(self) -> int: ...
    @property
    def merge_size(self) -> int: ...
    @property
    def num_tokens(self) -> int: ...
    @property
    def wrapper_tokens(self) -> int: ...

@final
class Qwen2VLConfig:
    def __new__(
        cls,
        *,
        min_pixels: float,
        max_pixels: float,
        patch_size: int,
        temporal_patch_size: int,
        merge_size: int,
        fps: float,
        total_pixels: Optional[float],
        resample: str,
        compat: str,
    ) -> Qwen2VLConfig: ...
    @property
    def row_len(self) -> int: ...
    def plan(self, height: int, width: int) -> Qwen2VLPlan: ...
    def frames_plan(self, num_frames: int, height: int, width: int) -> Qwen2VLPlan: ...
    def sized_plan(self, num_frames: int, height: int, width: int) -> Qwen2VLPlan: ...
    def video_plan(
        self, total_frames: int, video_fps: float, height: int, width: int
    ) -> Qwen2VLPlan: ...
    def num_tokens_many(
        self,
        heights: npt.NDArray[np.int64],
        widths: npt.NDArray[np.int64],
        total_frames: Optional[npt.NDArray[np.int64]] = None,
        video_fps: Optional[npt.NDArray[np.float64]] = None,
        errors: str = "raise",
    ) -> npt.NDArray[np.int64]: ...
    def pixel_values(
        self, images: _Images, plans: List[Qwen2VLPlan], table: _Table, out: npt.NDArray[Any]
    ) -> None: ...
    def video_pixel_values(
        self, videos: _Images, plans: List[Qwen2VLPlan], table: _Table, out: npt.NDArray[Any]
    ) -> None: ...

@final
class InternVLPlan:
    @property
    def grid(self) -> _Hw: ...
    @property
    def resized(self) -> _Hw: ...
    @property
    def boxes(self) -> Tuple[_Box, ...]: ...
    @property
    def num_tiles(self) -> int: ...
    @property
    def has_thumbnail(self) -> bool: ...
    @property
    def tokens_per_tile(self) -> int: ...
    @property
    def num_tokens(self) -> int: ...
    @property
    def wrapper_tokens(self) -> int: ...

@final
class InternVLConfig:
    def __new__(
        cls,
        *,
        min_num: int,
        max_num: int,
        image_size: int,
        use_thumbnail: bool,
        reference: str,
        resample: str,
        compat: str,
    ) -> InternVLConfig: ...
    def plan(self, height: int, width: int) -> InternVLPlan: ...
    def num_tokens_many(
        self,
        heights: npt.NDArray[np.int64],
        widths: npt.NDArray[np.int64],
        errors: str = "raise",
    ) -> npt.NDArray[np.int64]: ...
    def pixel_values(
        self, images: _Images, plans: List[InternVLPlan], table: _Table, out: npt.NDArray[Any]
    ) -> None: ...
    def squash_frames(
        self, videos: _Images, sizes: List[_Hw], table: _Table, out: npt.NDArray[Any]
    ) -> None: ...

def internvl_candidates(min_num: int, max_num: int, reference: str) -> List[_Hw]: ...
def internvl_frame_indices(
    total_frames: int,
    num_frames: int,
    fps: Optional[float],
    bound: Optional[Tuple[float, float]],
    first_idx: int,
    reference: str,
) -> npt.NDArray[np.int64]: ...

@final
class LlavaOnevisionPlan:
    @property
    def canvas(self) -> _Hw: ...
    @property
    def resized(self) -> _Hw: ...
    @property
    def paste(self) -> _Hw: ...
    @property
    def crop_size(self) -> int: ...
    @property
    def grid(self) -> _Hw: ...
    @property
    def boxes(self) -> Tuple[_Box, ...]: ...
    @property
    def num_crops(self) -> int: ...
    @property
    def unpadded(self) -> _Hw: ...
    @property
    def times(self) -> float: ...
    @property
    def final(self) -> _Hw: ...
    @property
    def num_tokens(self) -> int: ...
    @property
    def wrapper_tokens(self) -> int: ...

@final
class LlavaOnevisionConfig:
    def __new__(
        cls,
        *,
        pinpoints: Sequence[_Hw],
        reference: str,
        resample: str,
        compat: str,
        crop_size: int = ...,  # 384
    ) -> LlavaOnevisionConfig: ...
    def plan(self, height: int, width: int) -> LlavaOnevisionPlan: ...
    def num_tokens_many(
        self,
        heights: npt.NDArray[np.int64],
        widths: npt.NDArray[np.int64],
        errors: str = "raise",
    ) -> npt.NDArray[np.int64]: ...
    def pixel_values(
        self,
        images: _Images,
        plans: List[LlavaOnevisionPlan],
        table: _Table,
        out: npt.NDArray[Any],
    ) -> None: ...
    def multi_image_pixel_values(
        self,
        images: _Images,
        background: Tuple[int, int, int],
        side: int,
        table: _Table,
        out: npt.NDArray[Any],
    ) -> None: ...
    def squash_frames(
        self, videos: _Images, sizes: List[_Hw], table: _Table, out: npt.NDArray[Any]
    ) -> None: ...

def llava_ov_select_best_resolution(
    height: int, width: int, pinpoints: Sequence[_Hw], reference: str
) -> _Hw: ...
def llava_ov_video_num_tokens(num_frames: int) -> int: ...
def pool_features(
    features: npt.NDArray[np.floating[Any]], out_h: int, out_w: int
) -> npt.NDArray[np.floating[Any]]: ...
def linspace_frame_indices(total_frames: int, num_frames: int) -> npt.NDArray[np.int64]: ...
def stride_frame_indices(
    total_frames: int, video_fps: float, fps: float, max_frames: int, force_sample: bool
) -> npt.NDArray[np.int64]: ...

@final
class OryxPlan:
    @property
    def upscaled(self) -> _Hw: ...
    @property
    def highres(self) -> _Hw: ...
    @property
    def lowres(self) -> _Hw: ...
    @property
    def highres_grid(self) -> _Hw: ...
    @property
    def lowres_grid(self) -> _Hw: ...
    @property
    def num_tokens(self) -> int: ...
    @property
    def wrapper_tokens(self) -> int: ...

@final
class OryxConfig:
    def __new__(
        cls,
        *,
        max_res: int,
        min_res: int,
        lowres_base: int,
        lowres_patch: int,
        highres_patch: int,
        video_max_res: int,
        video_min_res: int,
        video_patch: int,
        resample: str,
        compat: str,
    ) -> OryxConfig: ...
    def plan(self, height: int, width: int) -> OryxPlan: ...
    def num_tokens_many(
        self,
        heights: npt.NDArray[np.int64],
        widths: npt.NDArray[np.int64],
        errors: str = "raise",
    ) -> npt.NDArray[np.int64]: ...
    def video_plan(
        self, num_frames: int, height: int, width: int, *, long: bool
    ) -> Tuple[_Hw, int]: ...
    def pixel_values(
        self, images: _Images, plans: List[OryxPlan], table: _Table, out: npt.NDArray[Any]
    ) -> None: ...
    def squash_frames(
        self, videos: _Images, sizes: List[_Hw], table: _Table, out: npt.NDArray[Any]
    ) -> None: ...

# Pixtral (rust/py/pixtral.rs)
@final
class PixtralPlan:
    @property
    def scaled(self) -> _Hw: ...
    @property
    def resized(self) -> _Hw: ...
    @property
    def grid(self) -> _Hw: ...
    @property
    def num_tokens(self) -> int: ...
    @property
    def wrapper_tokens(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class PixtralConfig:
    def __new__(
        cls,
        *,
        max_size: _Hw,
        patch_size: _Hw,
        spatial_merge_size: int,
        resample: str,
        compat: str,
    ) -> PixtralConfig: ...
    @property
    def unit(self) -> _Hw: ...
    def plan(self, height: int, width: int) -> PixtralPlan: ...
    def num_tokens_many(
        self,
        heights: npt.NDArray[np.int64],
        widths: npt.NDArray[np.int64],
        errors: str = "raise",
        *,
        wrappers: bool = False,
    ) -> npt.NDArray[np.int64]: ...
    def pixel_values(
        self, images: _Images, plans: List[PixtralPlan], table: _Table, out: npt.NDArray[Any]
    ) -> None: ...
    def padded_pixel_values(
        self,
        images: _Images,
        plans: List[PixtralPlan],
        canvas: Tuple[int, int],
        table: _Table,
        out: npt.NDArray[Any],
    ) -> None: ...
    def layout(
        self,
        input_ids: npt.NDArray[np.int64],
        image_sizes: List[_Hw],
        *,
        image_token_id: int,
        image_break_token_id: int,
        image_end_token_id: int,
    ) -> npt.NDArray[np.int64]: ...
