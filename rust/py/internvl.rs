//! Bindings for InternVL: the family config, its plans, candidates and frame indices.

use numpy::{PyReadonlyArray1, PyReadonlyArray3, PyReadonlyArray4};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::arrays::Lut;
use super::errors::{DynresError, IntoPyResult};
use super::family::{self, parse_reference, resampling, vec_to_numpy, I64Array};
use crate::core::models::internvl::{self, InternVL, InternVLPlan, TilingParams};
use crate::core::models::pipeline::Resampling;
use crate::core::models::{Family, Plan, Reference};

type Hw = (u64, u64);

/// What InternVL does with one image (see `dynres_fast.internvl.plan`).
#[pyclass(frozen, eq, name = "InternVLPlan", module = "dynres_fast._core")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PyInternVLPlan(InternVLPlan);

#[pymethods]
impl PyInternVLPlan {
    /// `(rows, cols)` of tiles.
    #[getter]
    fn grid(&self) -> Hw {
        (self.0.rows, self.0.cols)
    }
    /// `(height, width)` the whole image is squashed to, `(S·rows, S·cols)`.
    #[getter]
    fn resized(&self) -> Hw {
        (self.0.resized_height, self.0.resized_width)
    }
    /// `(top, left, height, width)` of each grid tile in the resized image, row-major.
    #[getter]
    fn boxes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            self.0.boxes().into_iter().map(|[a, b, c, d]| (a, b, c, d)),
        )
    }
    /// Tiles fed to the ViT, thumbnail included.
    #[getter]
    fn num_tiles(&self) -> u64 {
        self.0.num_tiles
    }
    /// Whether the last tile is the whole-image thumbnail.
    #[getter]
    fn has_thumbnail(&self) -> bool {
        self.0.has_thumbnail
    }
    /// Vision tokens per tile, `(S/28)²` (256 for 448).
    #[getter]
    fn tokens_per_tile(&self) -> u64 {
        self.0.tokens_per_tile
    }
    /// `<IMG_CONTEXT>` tokens, `tokens_per_tile · num_tiles`.
    #[getter]
    fn num_tokens(&self) -> u64 {
        self.0.num_tokens()
    }
    /// `<img>` and `</img>`: 2.
    #[getter]
    fn wrapper_tokens(&self) -> u64 {
        self.0.wrapper_tokens()
    }
    fn __repr__(&self) -> String {
        format!(
            "InternVLPlan(grid={:?}, resized={:?}, num_tiles={}, has_thumbnail={}, \
             tokens_per_tile={}, num_tokens={}, wrapper_tokens={})",
            self.grid(),
            self.resized(),
            self.0.num_tiles,
            if self.0.has_thumbnail {
                "True"
            } else {
                "False"
            },
            self.0.tokens_per_tile,
            self.num_tokens(),
            self.wrapper_tokens()
        )
    }
}

/// A validated InternVL preprocessing config, built once (see `dynres_fast.internvl`).
#[pyclass(frozen, name = "InternVLConfig", module = "dynres_fast._core")]
pub(crate) struct PyInternVL {
    family: InternVL,
    rs: Resampling,
}

#[pymethods]
impl PyInternVL {
    #[new]
    #[pyo3(signature = (*, min_num, max_num, image_size, use_thumbnail, reference, resample, compat))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        min_num: u64,
        max_num: u64,
        image_size: u64,
        use_thumbnail: bool,
        reference: &str,
        resample: &str,
        compat: &str,
    ) -> PyResult<Self> {
        let params = TilingParams {
            min_num,
            max_num,
            image_size,
            use_thumbnail,
            reference: parse_reference(reference)?,
        };
        Ok(Self {
            family: InternVL::new(params).py()?,
            rs: resampling(resample, compat)?,
        })
    }

    /// The plan for a `height × width` image.
    fn plan(&self, height: u64, width: u64) -> PyResult<PyInternVLPlan> {
        self.family.plan(height, width).py().map(PyInternVLPlan)
    }

    /// `num_tokens` for arrays of sizes.
    #[pyo3(signature = (heights, widths, errors="raise"))]
    fn num_tokens_many<'py>(
        &self,
        py: Python<'py>,
        heights: PyReadonlyArray1<'py, i64>,
        widths: PyReadonlyArray1<'py, i64>,
        errors: &str,
    ) -> PyResult<I64Array<'py>> {
        family::num_tokens_many(py, &self.family, &heights, &widths, errors)
    }

    /// Writes `pixel_values` of every image (with its plan) into `out`.
    fn pixel_values<'py>(
        &self,
        py: Python<'py>,
        images: Vec<PyReadonlyArray3<'py, u8>>,
        plans: Vec<PyRef<'py, PyInternVLPlan>>,
        table: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let plans: Vec<InternVLPlan> = plans.iter().map(|p| p.0).collect();
        family::images_py(py, &self.family, self.rs, &images, &plans, &table, &out)
    }

    /// Every frame of video `i` squashed to `sizes[i]` and normalised, into `out`.
    fn squash_frames<'py>(
        &self,
        py: Python<'py>,
        videos: Vec<PyReadonlyArray4<'py, u8>>,
        sizes: Vec<(usize, usize)>,
        table: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        family::squash_py(py, self.rs, &videos, &sizes, &table, &out)
    }
}

#[pyfunction(name = "internvl_candidates")]
fn internvl_candidates_py(min_num: u64, max_num: u64, reference: &str) -> PyResult<Vec<Hw>> {
    let grids = internvl::candidate_grids(min_num, max_num, parse_reference(reference)?).py()?;
    Ok(grids.into_iter().map(|(cols, rows)| (rows, cols)).collect())
}

#[pyfunction(name = "internvl_frame_indices")]
#[pyo3(signature = (total_frames, num_frames, fps, bound, first_idx, reference))]
fn internvl_frame_indices_py<'py>(
    py: Python<'py>,
    total_frames: u64,
    num_frames: u64,
    fps: Option<f64>,
    bound: Option<(f64, f64)>,
    first_idx: u64,
    reference: &str,
) -> PyResult<I64Array<'py>> {
    let idx = match parse_reference(reference)? {
        Reference::Original => {
            internvl::frame_indices_original(total_frames, num_frames, fps, bound, first_idx)
        }
        Reference::Transformers => {
            if bound.is_some() || fps.is_some() || first_idx != 0 {
                return Err(DynresError::new_err(
                    "reference='transformers' samples the whole clip: transformers' \
                     InternVLVideoProcessor takes no bound, fps or first_idx",
                ));
            }
            internvl::frame_indices_transformers(total_frames, num_frames)
        }
    }
    .py()?;
    vec_to_numpy(py, idx)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyInternVL>()?;
    m.add_class::<PyInternVLPlan>()?;
    m.add_function(wrap_pyfunction!(internvl_candidates_py, m)?)?;
    m.add_function(wrap_pyfunction!(internvl_frame_indices_py, m)?)?;
    Ok(())
}
