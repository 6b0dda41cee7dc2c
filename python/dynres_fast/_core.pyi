import numpy as np
import numpy.typing as npt

# --- pack (rust/py/pack.rs) ---
def pack_ffd(
    lengths: npt.NDArray[np.int64], max_tokens: int, oversize: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...

# --- decode (rust/py/decode.rs, feature "decode") ---
def decode_image(data: bytes) -> npt.NDArray[np.uint8]: ...
