import numpy as np
import numpy.typing as npt

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
