//! The trained model: encoding, reconstruction, saving and loading.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use fmnist_core::{InputError, Transform, validate, write_bytes_atomically};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::config::Architecture;
use crate::cpu::Engine;
use crate::error::{AutoencoderError, Result};
use crate::kernels::{Kernels, Precision};
use crate::model::{Mode, Network};
use crate::train::{History, TrainParams};

/// Images per forward pass when encoding, reconstructing or validating.
const EVAL_BATCH: usize = 256;

/// Tag written into the configuration file, checked on load.
const FORMAT: &str = "fmnist-autoencoder/1";

/// Images as row-major `f32` data (one image after another), checked against an architecture.
pub(crate) struct Images {
    data: Vec<f32>,
    pixels: usize,
    shape: (usize, usize, usize),
}

impl Images {
    /// Takes a matrix with one row per image, [`Architecture::image_len`] values each.
    pub fn new(x: &DMatrix<f32>, arch: &Architecture) -> Result<Self> {
        let pixels = arch.image_len();
        if x.nrows() == 0 {
            return Err(InputError::NoSamples.into());
        }
        validate::check_features(x, pixels)?;
        validate::check_finite(x)?;
        Ok(Self {
            data: fmnist_core::to_row_major(x, &vec![0.0; pixels]),
            pixels,
            shape: (arch.channels, arch.height, arch.width),
        })
    }

    pub fn len(&self) -> usize {
        self.data.len() / self.pixels
    }

    pub fn pixels(&self) -> usize {
        self.pixels
    }

    /// Image `i`'s values.
    pub fn image(&self, i: usize) -> &[f32] {
        &self.data[i * self.pixels..(i + 1) * self.pixels]
    }

    /// The images at `indices` as an `n x c x h x w` tensor.
    pub fn batch(&self, indices: &[usize], device: &Device) -> Result<Tensor> {
        let mut data = Vec::with_capacity(indices.len() * self.pixels);
        for &i in indices {
            data.extend_from_slice(&self.data[i * self.pixels..(i + 1) * self.pixels]);
        }
        let (c, h, w) = self.shape;
        Ok(Tensor::from_vec(data, (indices.len(), c, h, w), device)?)
    }

    /// Consecutive index ranges of at most `EVAL_BATCH` images.
    pub fn eval_batches(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        (0..self.len())
            .step_by(EVAL_BATCH)
            .map(|start| start..(start + EVAL_BATCH).min(self.len()))
    }
}

/// An autoencoder as plain values: its architecture, training history and every tensor, for
/// storing it inside another file (a saved pipeline) with serde. [`Autoencoder::state`] makes
/// one, [`Autoencoder::from_state`] rebuilds the model (on the CPU).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderState {
    /// The network's layers.
    pub architecture: Architecture,
    /// The loss history of training.
    pub history: History,
    /// Every tensor (running statistics included): name, shape and row-major values.
    pub tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

/// The configuration file saved beside the weights.
#[derive(Serialize, Deserialize)]
struct SavedConfig {
    format: String,
    architecture: Architecture,
    history: History,
}

/// A trained (or loaded) autoencoder.
///
/// ```no_run
/// use fmnist_autoencoder::{Architecture, Autoencoder};
/// # let x = nalgebra::DMatrix::<f32>::zeros(256, 784);
/// let model = Autoencoder::params(Architecture::paper()).epochs(10).seed(0).fit(&x)?;
/// let codes = model.encode(&x)?; // 256 x 784 bottleneck values
/// model.save("model.safetensors")?;
/// # Ok::<(), fmnist_autoencoder::AutoencoderError>(())
/// ```
pub struct Autoencoder {
    network: Network,
    history: History,
}

impl Autoencoder {
    /// Training parameters for `architecture`, with the study's defaults (10 epochs, batch 128,
    /// learning rate 1e-3, seed 0, CPU).
    pub fn params(architecture: Architecture) -> TrainParams {
        TrainParams::new(architecture)
    }

    /// A freshly initialised, untrained model (weights drawn from `seed`).
    pub fn untrained(architecture: &Architecture, device: &Device, seed: u64) -> Result<Self> {
        let network = Network::new(architecture, device, Kernels::for_device(device), seed)?;
        Ok(Self::from_parts(network, History::default()))
    }

    pub(crate) fn from_parts(network: Network, history: History) -> Self {
        Self { network, history }
    }

    /// The architecture.
    pub fn architecture(&self) -> &Architecture {
        self.network.architecture()
    }

    /// `(trainable, non-trainable)` parameter counts of the network's tensors
    /// (`(12_385, 192)` for the study's architecture).
    pub fn parameter_counts(&self) -> (usize, usize) {
        let mut counts = (0, 0);
        for (name, var) in self.network.named_vars() {
            if name.contains(".running_") {
                counts.1 += var.elem_count();
            } else {
                counts.0 += var.elem_count();
            }
        }
        counts
    }

    /// Every tensor's values by name (running statistics included), in a fixed order.
    pub fn tensors(&self) -> Result<Vec<(String, Vec<f32>)>> {
        self.network
            .named_vars()
            .into_iter()
            .map(|(name, var)| Ok((name, var.flatten_all()?.to_vec1::<f32>()?)))
            .collect()
    }

    /// Checks that images of `height x width` pixels are the network's: the same pixel count
    /// is not enough, since a flattened image does not carry its shape.
    ///
    /// # Errors
    /// [`AutoencoderError::ImageSize`] naming both sizes.
    pub fn check_image_size(&self, height: usize, width: usize) -> Result<()> {
        let arch = self.architecture();
        if (height, width) == (arch.height, arch.width) {
            return Ok(());
        }
        Err(AutoencoderError::ImageSize {
            height,
            width,
            expected_height: arch.height,
            expected_width: arch.width,
        })
    }

    /// The model as plain values, for storing it with serde.
    ///
    /// # Errors
    /// [`AutoencoderError::Candle`] if a tensor cannot be read back from its device.
    pub fn state(&self) -> Result<AutoencoderState> {
        let tensors = self
            .network
            .named_vars()
            .into_iter()
            .map(|(name, var)| {
                Ok((
                    name,
                    var.dims().to_vec(),
                    var.flatten_all()?.to_vec1::<f32>()?,
                ))
            })
            .collect::<Result<_>>()?;
        Ok(AutoencoderState {
            architecture: self.architecture().clone(),
            history: self.history.clone(),
            tensors,
        })
    }

    /// The model that `state` describes, on the CPU.
    ///
    /// # Errors
    /// [`AutoencoderError::InvalidState`] for an impossible architecture, or tensors that are
    /// missing, of the wrong shape, or hold non-finite values.
    pub fn from_state(state: AutoencoderState) -> Result<Self> {
        let invalid = |reason: String| AutoencoderError::InvalidState(reason);
        state
            .architecture
            .validate()
            .map_err(|e| invalid(e.to_string()))?;
        let device = Device::Cpu;
        let tensors = state
            .tensors
            .into_iter()
            .map(|(name, shape, values)| {
                Tensor::from_vec(values, shape, &device)
                    .map(|t| (name, t))
                    .map_err(|e| invalid(e.to_string()))
            })
            .collect::<Result<HashMap<_, _>>>()?;
        let network = Network::new(
            &state.architecture,
            &device,
            Kernels::for_device(&device),
            0,
        )?;
        network.assign(&tensors).map_err(invalid)?;
        Ok(Self::from_parts(network, state.history))
    }

    /// The loss history of training (empty for an untrained model).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The flattened bottleneck (evaluation mode) of each image: one row per row of `x`,
    /// [`Architecture::bottleneck_len`] columns (channel-major: channel, then row, then column).
    pub fn encode(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.map(
            x,
            self.architecture().bottleneck_len(),
            |engine, images| engine.encode(images).to_vec(),
            |net, t| net.encode(t, Mode::Eval),
        )
    }

    /// The reconstruction of each image (evaluation mode), values in `[0, 1]`.
    pub fn reconstruct(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.map(
            x,
            self.architecture().image_len(),
            |engine, images| engine.reconstruct(images).to_vec(),
            |net, t| net.forward(t, Mode::Eval),
        )
    }

    /// Per-pixel mean squared reconstruction error of `x` in evaluation mode.
    pub fn mse(&self, x: &DMatrix<f32>) -> Result<f32> {
        let images = Images::new(x, self.architecture())?;
        match self.engine()? {
            Some(mut engine) => Ok(crate::train::engine_mse(&mut engine, &images)),
            None => crate::train::mean_squared_error(&self.network, &images),
        }
    }

    /// The CPU engine over this model's weights, when it runs on the CPU engine (for the
    /// evaluation in `f32`).
    fn engine(&self) -> Result<Option<Engine>> {
        if self.network.kernels() != Kernels::Custom {
            return Ok(None);
        }
        let (params, running) = self.network.flat()?;
        let arch = self.architecture();
        Ok(Some(Engine::new(arch, params, running, Precision::F32)))
    }

    /// Runs batches of `x` through the CPU engine (`fast`) or candle's network (`reference`).
    fn map(
        &self,
        x: &DMatrix<f32>,
        width: usize,
        fast: impl Fn(&mut Engine, &mut dyn Iterator<Item = &[f32]>) -> Vec<f32>,
        reference: impl Fn(&Network, &Tensor) -> Result<Tensor>,
    ) -> Result<DMatrix<f32>> {
        let images = Images::new(x, self.architecture())?;
        let mut out = Vec::with_capacity(images.len() * width);
        let mut engine = self.engine()?;
        for batch in images.eval_batches() {
            match &mut engine {
                Some(engine) => out.extend(fast(engine, &mut batch.map(|i| images.image(i)))),
                None => {
                    let batch: Vec<usize> = batch.collect();
                    let t = images.batch(&batch, self.network.device())?;
                    out.extend(
                        reference(&self.network, &t)?
                            .flatten_all()?
                            .to_vec1::<f32>()?,
                    );
                }
            }
        }
        Ok(DMatrix::from_row_slice(images.len(), width, &out))
    }

    /// The configuration file that goes with a weights file: the weights' full name with
    /// `.json` appended (`model.safetensors` → `model.safetensors.json`), so that it never
    /// replaces another file of the same stem, such as a `model.json` of the user's.
    pub fn config_path(weights: &Path) -> PathBuf {
        let mut name = weights.as_os_str().to_owned();
        name.push(".json");
        PathBuf::from(name)
    }

    /// Saves the weights (safetensors, running statistics included) to `path` and the
    /// architecture with the loss history to [`Autoencoder::config_path`]. Each file is written
    /// to a temporary file beside it and renamed into place, so that a failed save leaves an
    /// earlier model's files as they were.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let tensors: HashMap<String, Tensor> = self
            .network
            .named_vars()
            .into_iter()
            .map(|(name, var)| (name, var.as_tensor().clone()))
            .collect();
        let config = SavedConfig {
            format: FORMAT.into(),
            architecture: self.architecture().clone(),
            history: self.history.clone(),
        };
        let config_path = Self::config_path(path);
        let json =
            serde_json::to_string_pretty(&config).map_err(|error| AutoencoderError::Config {
                path: config_path.clone(),
                error,
            })?;
        let weights = safetensors::serialize(&tensors, None).map_err(candle_core::Error::from)?;
        write_bytes_atomically(path, &weights)?;
        write_bytes_atomically(&config_path, json.as_bytes())?;
        Ok(())
    }

    /// Loads a model saved by [`Autoencoder::save`] onto `device`. A weights file that does not
    /// match the architecture in its configuration file is an [`AutoencoderError::Mismatch`].
    pub fn load(path: impl AsRef<Path>, device: &Device) -> Result<Self> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(AutoencoderError::Io {
                path: path.to_path_buf(),
                error: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        let config_path = Self::config_path(path);
        let text = std::fs::read_to_string(&config_path).map_err(|error| AutoencoderError::Io {
            path: config_path.clone(),
            error,
        })?;
        let config: SavedConfig =
            serde_json::from_str(&text).map_err(|error| AutoencoderError::Config {
                path: config_path.clone(),
                error,
            })?;
        if config.format != FORMAT {
            return Err(AutoencoderError::Mismatch {
                path: config_path,
                reason: format!("format {:?}, expected {FORMAT:?}", config.format),
            });
        }
        let tensors = read_weights(path, device)?;
        let network = Network::new(&config.architecture, device, Kernels::for_device(device), 0)?;
        network
            .assign(&tensors)
            .map_err(|reason| AutoencoderError::Mismatch {
                path: path.to_path_buf(),
                reason: format!("does not match the architecture in its configuration: {reason}"),
            })?;
        Ok(Self::from_parts(network, config.history))
    }
}

/// The tensors of the safetensors file at `path`, on `device`. A file that is not one (or a
/// truncated one) is an [`AutoencoderError::WeightsFile`] that names it and says why once.
fn read_weights(path: &Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    let bytes = std::fs::read(path).map_err(|error| AutoencoderError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let not_weights = |reason: String| AutoencoderError::WeightsFile {
        path: path.to_path_buf(),
        reason,
    };
    safetensors::SafeTensors::deserialize(&bytes).map_err(|e| not_weights(e.to_string()))?;
    candle_core::safetensors::load_buffer(&bytes, device).map_err(|e| not_weights(e.to_string()))
}

/// The estimator contract: [`Autoencoder::encode`].
impl Transform<DMatrix<f32>> for Autoencoder {
    type Output = DMatrix<f32>;
    type Error = AutoencoderError;

    fn transform(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.encode(x)
    }
}
