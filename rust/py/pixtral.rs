//! Bindings for Pixtral: one frozen config built once, called for plans, token counts,
//! pixels and prompt layouts.

use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray3};
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy, Lut};
use super::errors::IntoPyResult;
use super::families::tokens_many;
use super::family_pixels::{by_table, resampling, views, with_out};
use crate::core::family_pixels::Resampling;
use crate::core::models::pixtral::{self as px, Pixtral, PixtralParams, PixtralTokens};

type Hw = (u64, u64);

/// What Pixtral does with one image (sizes are `(height, width)`, grids `(rows, cols)`).
#[pyclass(frozen, eq, hash, module = "dynres_fast._core", name = "PixtralPlan")]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PixtralPlanPy {
    /// `(height, width)` after the longest-edge scaling (floored), before rounding up.
    #[pyo3(get)]
    scaled: Hw,
    /// `(height, width)` of the resized image: `scaled` rounded up to the token unit.
    #[pyo3(get)]
    resized: Hw,
    /// `(rows, cols)` of image tokens.
    #[pyo3(get)]
    grid: Hw,
}

impl From<px::PixtralPlan> for PixtralPlanPy {
    fn from(p: px::PixtralPlan) -> Self {
        Self {
            scaled: p.scaled,
            resized: p.resized,
            grid: p.grid,
        }
    }
}

impl From<PixtralPlanPy> for px::PixtralPlan {
    fn from(p: PixtralPlanPy) -> Self {
        Self {
            scaled: p.scaled,
            resized: p.resized,
            grid: p.grid,
        }
    }
}

#[pymethods]
impl PixtralPlanPy {
    /// `[IMG]` tokens: `rows · cols`.
    #[getter]
    fn num_tokens(&self) -> u64 {
        px::PixtralPlan::from(*self).num_tokens()
    }

    /// `[IMG_BREAK]` and `[IMG_END]` tokens around them: `rows`.
    #[getter]
    fn num_wrapper_tokens(&self) -> u64 {
        px::PixtralPlan::from(*self).num_wrapper_tokens()
    }

    fn __repr__(&self) -> String {
        format!(
            "PixtralPlan(scaled={:?}, resized={:?}, grid={:?}, num_tokens={}, num_wrapper_tokens={})",
            self.scaled,
            self.resized,
            self.grid,
            self.num_tokens(),
            self.num_wrapper_tokens()
        )
    }
}

/// Pixtral's settings, checked once: the rules plus the resize they run with.
#[pyclass(frozen, module = "dynres_fast._core", name = "PixtralConfig")]
pub(crate) struct PixtralConfig {
    rules: Pixtral,
    rs: Resampling,
}

#[pymethods]
impl PixtralConfig {
    #[new]
    #[pyo3(signature = (*, max_size, patch_size, spatial_merge_size, resample, compat))]
    fn new(
        max_size: Hw,
        patch_size: Hw,
        spatial_merge_size: u64,
        resample: &str,
        compat: &str,
    ) -> PyResult<Self> {
        let rules = Pixtral::new(PixtralParams {
            max_size,
            patch_size,
            spatial_merge_size,
        })
        .py()?;
        Ok(Self {
            rules,
            rs: resampling(resample, compat)?,
        })
    }

    /// `(height, width)` every resized side is a multiple of.
    #[getter]
    fn unit(&self) -> Hw {
        self.rules.unit()
    }

    fn plan(&self, height: u64, width: u64) -> PyResult<PixtralPlanPy> {
        Ok(self.rules.plan(height, width).py()?.into())
    }

    #[pyo3(signature = (heights, widths, *, errors, wrappers))]
    fn num_tokens_many<'py>(
        &self,
        py: Python<'py>,
        heights: PyReadonlyArray1<'py, i64>,
        widths: PyReadonlyArray1<'py, i64>,
        errors: &str,
        wrappers: bool,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let rules = self.rules;
        tokens_many(py, &heights, &widths, errors, move |h, w| {
            rules.num_tokens(h, w, wrappers)
        })
    }

    /// Writes the `(n, 3, H, W)` batch of `images` resized as `plans` say into `out`
    /// (`H × W` = the largest resized sides; the rest of each image's planes is 0).
    fn pixel_values<'py>(
        &self,
        py: Python<'py>,
        images: Vec<PyReadonlyArray3<'py, u8>>,
        plans: Vec<Bound<'py, PixtralPlanPy>>,
        canvas: (usize, usize),
        lut: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let imgs = views(&images)?;
        if imgs.len() != plans.len() {
            return Err(super::errors::DynresError::new_err(format!(
                "got {} images but {} plans",
                imgs.len(),
                plans.len()
            )));
        }
        let jobs: Vec<_> = imgs
            .into_iter()
            .zip(plans.iter().map(|p| px::PixtralPlan::from(*p.get())))
            .collect();
        let rs = self.rs;
        by_table!(lut, |l, zero| with_out(&out, |d| {
            py.detach(|| px::pixels_into(&jobs, canvas, rs, l, zero, d))
                .py()
        }))
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
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let (uh, uw) = self.rules.unit();
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
    m.add_class::<PixtralConfig>()?;
    m.add_class::<PixtralPlanPy>()?;
    Ok(())
}
