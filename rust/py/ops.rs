//! Bindings for pixel ops: Pillow-exact resize, crop and to_rgb.

use numpy::{PyArrayDyn, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy};
use super::errors::IntoPyResult;
use crate::core::error::try_zeroed;
use crate::core::image::ImageRef;
use crate::core::resize::{self, Compat, Filter, Kernel};
use crate::core::{ops, Error};

type U8Array<'py> = Bound<'py, PyArrayDyn<u8>>;

/// Views a (H, W) or (H, W, C) uint8 array as an image; remembers whether it was 2-D.
fn image_view<'a>(image: &'a PyReadonlyArrayDyn<'_, u8>) -> PyResult<(ImageRef<'a>, bool)> {
    let shape = image.shape().to_vec();
    let data = contiguous("image", image)?;
    let (h, w, c, gray) = match shape[..] {
        [h, w] => (h, w, 1, true),
        [h, w, c] => (h, w, c, false),
        _ => {
            return Err(Error::InvalidImage(format!(
                "image must be (H, W) or (H, W, C), got shape {shape:?}"
            )))
            .py()
        }
    };
    Ok((ImageRef::new(data, h, w, c).py()?, gray))
}

fn shape_of(h: usize, w: usize, c: usize, gray: bool) -> Vec<usize> {
    if gray {
        vec![h, w]
    } else {
        vec![h, w, c]
    }
}

#[pyfunction(name = "resize")]
#[pyo3(signature = (image, height, width, filter, compat, kernel = "auto"))]
fn resize_py<'py>(
    py: Python<'py>,
    image: PyReadonlyArrayDyn<'py, u8>,
    height: usize,
    width: usize,
    filter: &str,
    compat: &str,
    kernel: &str,
) -> PyResult<U8Array<'py>> {
    let (filter, compat, kernel) = (
        Filter::parse(filter).py()?,
        Compat::parse(compat).py()?,
        Kernel::parse(kernel).py()?,
    );
    let (src, gray) = image_view(&image)?;
    let c = src.channels;
    let out = py
        .detach(|| {
            resize::check_output_size(height, width)?;
            let what = format!("resize output of height={height}, width={width}, {c} channels");
            let mut out = try_zeroed(height * width * c, &what)?;
            resize::resize_with(&src, height, width, filter, compat, kernel, &mut out).map(|()| out)
        })
        .py()?;
    to_numpy(py, out, shape_of(height, width, c, gray))
}

#[pyfunction(name = "crop")]
fn crop_py<'py>(
    py: Python<'py>,
    image: PyReadonlyArrayDyn<'py, u8>,
    top: usize,
    left: usize,
    height: usize,
    width: usize,
) -> PyResult<U8Array<'py>> {
    let (src, gray) = image_view(&image)?;
    let out = py
        .detach(|| ops::crop(&src, top, left, height, width))
        .py()?;
    let shape = shape_of(out.height, out.width, out.channels, gray);
    to_numpy(py, out.data, shape)
}

#[pyfunction(name = "to_rgb", signature = (image, alpha = "drop"))]
fn to_rgb_py<'py>(
    py: Python<'py>,
    image: PyReadonlyArrayDyn<'py, u8>,
    alpha: &str,
) -> PyResult<U8Array<'py>> {
    let alpha = ops::Alpha::parse(alpha).py()?;
    let (src, _) = image_view(&image)?;
    let out = py.detach(|| ops::to_rgb_with(&src, alpha)).py()?;
    to_numpy(py, out.data, vec![out.height, out.width, 3])
}

#[pyfunction(name = "avx2_available")]
fn avx2_available_py() -> bool {
    Kernel::avx2_available()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(resize_py, m)?)?;
    m.add_function(wrap_pyfunction!(crop_py, m)?)?;
    m.add_function(wrap_pyfunction!(to_rgb_py, m)?)?;
    m.add_function(wrap_pyfunction!(avx2_available_py, m)?)?;
    Ok(())
}
