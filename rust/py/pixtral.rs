//! Bindings for Pixtral: the family config, its plans, padded or packed pixels and the
//! prompt layout.

use numpy::{PyReadonlyArray1, PyReadonlyArray3};
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy, Lut};
use super::errors::IntoPyResult;
use super::family::{self, jobs, parse_errors, resampling, views, with_pixels, I64Array};
use crate::core::many::map_sizes;
use crate::core::models::pipeline::Resampling;
use crate::core::models::pixtral::{
    self as px, Pixtral, PixtralParams, PixtralPlan, PixtralTokens,
};
use crate::core::models::{Family, Plan};

type Hw = (u64, u64);

/// What Pixtral does with one image (see `dynres_fast.pixtral.plan`).
#[pyclass(frozen, eq, hash, name = "PixtralPlan", module = "dynres_fast._core")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PyPixtralPlan(PixtralPlan);

#[pymethods]
impl PyPixtralPlan {
    /// `(height, width)` after the longest-edge scaling (floored), before rounding up.
    #[getter]
    fn scaled(&self) -> Hw {
        self.0.scaled
    }
    /// `(height, width)` of the resized image: `scaled` rounded up to the token unit.
    #[getter]
    fn resized(&self) -> Hw {
        self.0.resized
    }
    /// `(rows, cols)` of image tokens.
    #[getter]
    fn grid(&self) -> Hw {
        self.0.grid
    }
    /// `[IMG]` tokens: `rows · cols`.
    #[getter]
    fn num_tokens(&self) -> u64 {
        self.0.num_tokens()
    }
    /// `[IMG_BREAK]` and `[IMG_END]` tokens around them: `rows`.
    #[getter]
    fn wrapper_tokens(&self) -> u64 {
        self.0.wrapper_tokens()
    }
    fn __repr__(&self) -> String {
        format!(
            "PixtralPlan(scaled={:?}, resized={:?}, grid={:?}, num_tokens={}, wrapper_tokens={})",
            self.0.scaled,
            self.0.resized,
            self.0.grid,
            self.num_tokens(),
            self.wrapper_tokens()
        )
    }
}

/// A validated Pixtral config, built once (see `dynres_fast.pixtral`).
#[pyclass(frozen, name = "PixtralConfig", module = "dynres_fast._core")]
pub(crate) struct PyPixtral {
    family: Pixtral,
    rs: Resampling,
}

#[pymethods]
impl PyPixtral {
    #[new]
    #[pyo3(signature = (*, max_size, patch_size, spatial_merge_size, resample, compat))]
    fn new(
        max_size: Hw,
        patch_size: Hw,
        spatial_merge_size: u64,
        resample: &str,
        compat: &str,
    ) -> PyResult<Self> {
        let family = Pixtral::new(PixtralParams {
            max_size,
            patch_size,
            spatial_merge_size,
        })
        .py()?;
        Ok(Self {
            family,
            rs: resampling(resample, compat)?,
        })
    }

    /// `(height, width)` every resized side is a multiple of: `patch_size · merge`.
    #[getter]
    fn unit(&self) -> Hw {
        self.family.unit()
    }

    /// The plan for a `height × width` image.
    fn plan(&self, height: u64, width: u64) -> PyResult<PyPixtralPlan> {
        self.family.plan(height, width).py().map(PyPixtralPlan)
    }

    /// `num_tokens` for arrays of sizes; with `wrappers`, `num_tokens + wrapper_tokens`.
    #[pyo3(signature = (heights, widths, errors="raise", *, wrappers=false))]
    fn num_tokens_many<'py>(
        &self,
        py: Python<'py>,
        heights: PyReadonlyArray1<'py, i64>,
        widths: PyReadonlyArray1<'py, i64>,
        errors: &str,
        wrappers: bool,
    ) -> PyResult<I64Array<'py>> {
        if !wrappers {
            return family::num_tokens_many(py, &self.family, &heights, &widths, errors);
        }
        let on_error = parse_errors(errors)?;
        let (hs, ws) = (
            contiguous("heights", &heights)?,
            contiguous("widths", &widths)?,
        );
        let rules = &self.family;
        let n = hs.len();
        let out = py
            .detach(|| {
                let mut out = vec![0i64; n];
                map_sizes(hs, ws, on_error, &mut out, |h, w| rules.all_tokens(h, w)).map(|()| out)
            })
            .py()?;
        to_numpy(py, out, n)
    }

    /// Writes each image's planes, unpadded and packed image after image, into `out`.
    fn pixel_values<'py>(
        &self,
        py: Python<'py>,
        images: Vec<PyReadonlyArray3<'py, u8>>,
        plans: Vec<PyRef<'py, PyPixtralPlan>>,
        table: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let plans: Vec<PixtralPlan> = plans.iter().map(|p| p.0).collect();
        family::images_py(py, &self.family, self.rs, &images, &plans, &table, &out)
    }

    /// Writes the `(n, 3, H, W)` batch into `out`: each image at the top left of the
    /// `canvas = (H, W)` planes, the rest 0.
    fn padded_pixel_values<'py>(
        &self,
        py: Python<'py>,
        images: Vec<PyReadonlyArray3<'py, u8>>,
        plans: Vec<PyRef<'py, PyPixtralPlan>>,
        canvas: (usize, usize),
        table: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let plans: Vec<PixtralPlan> = plans.iter().map(|p| p.0).collect();
        let jobs = jobs(views(&images)?, &plans)?;
        with_pixels!(table, self.rs, &out, |pixels, d| py
            .detach(|| px::padded_into(&jobs, canvas, pixels, d))
            .py())
    }

    /// `input_ids` with each `[IMG]` expanded for the images of `image_sizes` (resized
    /// sizes, as the processor returns them; grids are sizes // unit, as upstream).
    #[pyo3(signature = (input_ids, image_sizes, *, image_token_id, image_break_token_id, image_end_token_id))]
    fn layout<'py>(
        &self,
        py: Python<'py>,
        input_ids: PyReadonlyArray1<'py, i64>,
        image_sizes: Vec<Hw>,
        image_token_id: i64,
        image_break_token_id: i64,
        image_end_token_id: i64,
    ) -> PyResult<I64Array<'py>> {
        let (uh, uw) = self.family.unit();
        let grids: Vec<Hw> = image_sizes.iter().map(|&(h, w)| (h / uh, w / uw)).collect();
        let ids = contiguous("input_ids", &input_ids)?;
        let tokens = PixtralTokens {
            image: image_token_id,
            image_break: image_break_token_id,
            image_end: image_end_token_id,
        };
        let out = py.detach(|| px::layout(ids, &grids, tokens)).py()?;
        let n = out.len();
        to_numpy(py, out, n)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPixtral>()?;
    m.add_class::<PyPixtralPlan>()?;
    Ok(())
}
