//! The architecture as a plain, serialisable configuration.

use serde::{Deserialize, Serialize};

use crate::error::{AutoencoderError, Result};

/// The autoencoder's architecture.
///
/// The default is the study's Keras network for 28 x 28 grey images: two encoder blocks
/// (Conv2D 3x3 "same" with ReLU + BatchNorm + MaxPool 2 + Dropout) with 32 and 16 filters, a
/// 7 x 7 x 16 = 784-value bottleneck, two decoder blocks (Conv2D with ReLU + BatchNorm +
/// Upsample 2 + Dropout) with 16 and 32 filters, and a Conv2D to the image channels with a
/// sigmoid: 12,385 trainable parameters plus 192 BatchNorm running statistics = 12,577.
/// [`Architecture::activation_order`] puts each block's ReLU after its BatchNorm instead.
///
/// Change the widths or the depth (as many decoder blocks as encoder blocks) and the image size
/// (any height and width divisible by `2^depth`) freely; [`Architecture::validate`] says what is
/// wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Image height in pixels. Default 28.
    pub height: usize,
    /// Image width in pixels. Default 28.
    pub width: usize,
    /// Image channels (1 for grey images). Default 1.
    pub channels: usize,
    /// Filters of each encoder block; the last one is the bottleneck's depth. Default `[32, 16]`.
    pub encoder: Vec<usize>,
    /// Filters of each decoder block, as many as encoder blocks. Default `[16, 32]`.
    pub decoder: Vec<usize>,
    /// Side of every (square, odd) convolution kernel. Default 3.
    pub kernel_size: usize,
    /// Dropout rate after every pooling and upsampling layer, in `[0, 1)`. Default 0.25.
    pub dropout: f32,
    /// BatchNorm running-statistics momentum (Keras convention: weight of the old value).
    /// Default 0.99.
    pub batch_norm_momentum: f32,
    /// BatchNorm epsilon added to the variance. Default 1e-3 (Keras's).
    pub batch_norm_epsilon: f32,
    /// Where each block's ReLU sits relative to its BatchNorm. Default
    /// [`ActivationOrder::ReluThenBatchNorm`] (the study's Keras model). A configuration file
    /// without this field (written before it existed) means
    /// [`ActivationOrder::BatchNormThenRelu`], the order such models were trained with.
    #[serde(default = "ActivationOrder::unrecorded")]
    pub activation_order: ActivationOrder,
}

/// Where a block's ReLU sits relative to its BatchNorm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationOrder {
    /// Keras's `Conv2D(..., activation='relu')` followed by `BatchNormalization()`, the study's
    /// summary table (no separate activation layer): BatchNorm normalises the rectified
    /// convolution output, and its (possibly negative) output is pooled or upsampled, so the
    /// bottleneck is BatchNorm's output. The default.
    #[default]
    ReluThenBatchNorm,
    /// Conv2D, BatchNorm, then ReLU: the bottleneck is non-negative.
    BatchNormThenRelu,
}

impl ActivationOrder {
    /// The order of configurations saved before the field existed.
    fn unrecorded() -> Self {
        Self::BatchNormThenRelu
    }
}

impl Default for Architecture {
    fn default() -> Self {
        Self {
            height: 28,
            width: 28,
            channels: 1,
            encoder: vec![32, 16],
            decoder: vec![16, 32],
            kernel_size: 3,
            dropout: 0.25,
            batch_norm_momentum: 0.99,
            batch_norm_epsilon: 1e-3,
            activation_order: ActivationOrder::default(),
        }
    }
}

/// What a layer of the network is, for the summary and the parameter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    /// A "same" convolution with bias.
    Conv2d,
    /// Batch normalisation (with the block's ReLU before or after it, see [`ActivationOrder`]).
    BatchNorm,
    /// 2 x 2 max pooling.
    MaxPool,
    /// 2 x 2 nearest-neighbour upsampling.
    Upsample,
    /// Dropout (training only).
    Dropout,
}

/// One row of the model summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Its kind.
    pub kind: LayerKind,
    /// Output shape `(height, width, channels)`.
    pub output: (usize, usize, usize),
    /// Trainable parameters (weights, biases, BatchNorm scale and shift).
    pub trainable: usize,
    /// Non-trainable parameters (BatchNorm running mean and variance).
    pub non_trainable: usize,
}

/// The most weights, and values of one image in one layer, a network may have: 2^28 (1 GiB
/// of `f32`), far above the study's 12,577 weights and 64 x 28 x 28 values.
pub const MAX_VALUES: u64 = 1 << 28;

impl Architecture {
    /// The study's architecture (the same as `Default`).
    pub fn paper() -> Self {
        Self::default()
    }

    /// Sets the image size.
    pub fn image_size(mut self, height: usize, width: usize) -> Self {
        self.height = height;
        self.width = width;
        self
    }

    /// Sets the dropout rate.
    pub fn dropout(mut self, rate: f32) -> Self {
        self.dropout = rate;
        self
    }

    /// Sets where each block's ReLU sits relative to its BatchNorm.
    pub fn activation_order(mut self, order: ActivationOrder) -> Self {
        self.activation_order = order;
        self
    }

    /// Sets the encoder and decoder widths.
    pub fn widths(mut self, encoder: Vec<usize>, decoder: Vec<usize>) -> Self {
        self.encoder = encoder;
        self.decoder = decoder;
        self
    }

    /// Checks that the configuration describes a network that maps images back to their size.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(AutoencoderError::Architecture(reason));
        if self.encoder.is_empty() {
            return bad("at least one encoder block is needed".into());
        }
        if self.decoder.len() != self.encoder.len() {
            return bad(format!(
                "{} decoder blocks for {} encoder blocks: they must be as many, so that the output has the input's size",
                self.decoder.len(),
                self.encoder.len()
            ));
        }
        if self.channels == 0 || self.encoder.iter().chain(&self.decoder).any(|&c| c == 0) {
            return bad("every channel count must be positive".into());
        }
        if self.kernel_size == 0 || self.kernel_size.is_multiple_of(2) {
            return bad(format!(
                "kernel size {} must be odd (a \"same\" convolution needs a centre)",
                self.kernel_size
            ));
        }
        let factor = 1usize << self.encoder.len();
        if self.height == 0
            || self.width == 0
            || !self.height.is_multiple_of(factor)
            || !self.width.is_multiple_of(factor)
        {
            return bad(format!(
                "image size {}x{} must be positive and divisible by {factor} (2 to the number of encoder blocks)",
                self.height, self.width
            ));
        }
        if let Some(reason) = self.too_large() {
            return bad(reason);
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout rate {} is not in [0, 1)", self.dropout));
        }
        if !(0.0..=1.0).contains(&self.batch_norm_momentum) {
            return bad(format!(
                "BatchNorm momentum {} is not in [0, 1]",
                self.batch_norm_momentum
            ));
        }
        if self.batch_norm_epsilon.is_nan() || self.batch_norm_epsilon <= 0.0 {
            return bad(format!(
                "BatchNorm epsilon {} must be positive",
                self.batch_norm_epsilon
            ));
        }
        Ok(())
    }

    /// Why the network cannot be built, if its weights or the values of one image through its
    /// widest layer number more than [`MAX_VALUES`] (checked before anything is allocated, in
    /// arithmetic that cannot overflow).
    fn too_large(&self) -> Option<String> {
        let widths: Vec<u64> = std::iter::once(self.channels)
            .chain(self.encoder.iter().copied())
            .chain(self.decoder.iter().copied())
            .chain(std::iter::once(self.channels))
            .map(|w| w as u64)
            .collect();
        let taps = (self.kernel_size as u64).checked_mul(self.kernel_size as u64);
        let weights = widths.windows(2).try_fold(0u64, |sum, pair| {
            sum.checked_add(pair[0].checked_mul(pair[1])?.checked_mul(taps?)?)
        });
        let widest = widths.iter().max().copied().unwrap_or(0);
        let values = (self.height as u64)
            .checked_mul(self.width as u64)
            .and_then(|pixels| pixels.checked_mul(widest));
        match (weights, values) {
            (Some(w), Some(v)) if w <= MAX_VALUES && v <= MAX_VALUES => None,
            _ => Some(format!(
                "the network is too large: its weights or one image's values through its widest layer exceed {MAX_VALUES} (channel widths {:?}, kernel {}, images {}x{})",
                widths, self.kernel_size, self.height, self.width
            )),
        }
    }

    /// Pixels per image (`channels * height * width`).
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Bottleneck shape `(channels, height, width)`.
    pub fn bottleneck_shape(&self) -> (usize, usize, usize) {
        let factor = 1usize << self.encoder.len();
        (
            *self.encoder.last().unwrap_or(&self.channels),
            self.height / factor,
            self.width / factor,
        )
    }

    /// Length of the flattened bottleneck, the encoding's width (784 for the study).
    pub fn bottleneck_len(&self) -> usize {
        let (c, h, w) = self.bottleneck_shape();
        c * h * w
    }

    /// The network's layers in order, with output shapes and parameter counts.
    pub fn layers(&self) -> Vec<Layer> {
        let k2 = self.kernel_size * self.kernel_size;
        let (mut h, mut w, mut c) = (self.height, self.width, self.channels);
        let mut layers = Vec::new();
        let block = |layers: &mut Vec<Layer>, out: usize, h: usize, w: usize, c_in: usize| {
            layers.push(Layer {
                kind: LayerKind::Conv2d,
                output: (h, w, out),
                trainable: c_in * out * k2 + out,
                non_trainable: 0,
            });
            layers.push(Layer {
                kind: LayerKind::BatchNorm,
                output: (h, w, out),
                trainable: 2 * out,
                non_trainable: 2 * out,
            });
        };
        let plain = |kind, output| Layer {
            kind,
            output,
            trainable: 0,
            non_trainable: 0,
        };
        for &out in &self.encoder {
            block(&mut layers, out, h, w, c);
            (h, w, c) = (h / 2, w / 2, out);
            layers.push(plain(LayerKind::MaxPool, (h, w, c)));
            layers.push(plain(LayerKind::Dropout, (h, w, c)));
        }
        for &out in &self.decoder {
            block(&mut layers, out, h, w, c);
            (h, w, c) = (h * 2, w * 2, out);
            layers.push(plain(LayerKind::Upsample, (h, w, c)));
            layers.push(plain(LayerKind::Dropout, (h, w, c)));
        }
        layers.push(Layer {
            kind: LayerKind::Conv2d,
            output: (h, w, self.channels),
            trainable: c * self.channels * k2 + self.channels,
            non_trainable: 0,
        });
        layers
    }

    /// Trainable parameters (12,385 for the study's network).
    pub fn trainable_parameters(&self) -> usize {
        self.layers().iter().map(|l| l.trainable).sum()
    }

    /// BatchNorm running statistics (192 for the study's network).
    pub fn non_trainable_parameters(&self) -> usize {
        self.layers().iter().map(|l| l.non_trainable).sum()
    }

    /// Keras-like summary table: one row per layer, output shapes `(None, h, w, c)`, totals.
    pub fn summary(&self) -> String {
        let rule = |c: char| c.to_string().repeat(65);
        let mut out = format!(
            "Model: \"autoencoder\"\n{}\n {:<28}{:<26}{}\n{}\n",
            rule('_'),
            "Layer (type)",
            "Output Shape",
            "Param #",
            rule('=')
        );
        let mut counters = [0usize; 5];
        for layer in self.layers() {
            let (name, kind) = match layer.kind {
                LayerKind::Conv2d => ("conv2d", "Conv2D"),
                LayerKind::BatchNorm => ("batch_normalization", "BatchNormalization"),
                LayerKind::MaxPool => ("max_pooling2d", "MaxPooling2D"),
                LayerKind::Upsample => ("up_sampling2d", "UpSampling2D"),
                LayerKind::Dropout => ("dropout", "Dropout"),
            };
            let counter = &mut counters[layer.kind as usize];
            *counter += 1;
            let (h, w, c) = layer.output;
            out += &format!(
                " {:<28}{:<26}{}\n",
                format!("{name}_{counter} ({kind})"),
                format!("(None, {h}, {w}, {c})"),
                thousands(layer.trainable + layer.non_trainable)
            );
        }
        let (trainable, fixed) = (self.trainable_parameters(), self.non_trainable_parameters());
        out += &format!(
            "{}\nTotal params: {}\nTrainable params: {}\nNon-trainable params: {}\n",
            rule('='),
            thousands(trainable + fixed),
            thousands(trainable),
            thousands(fixed)
        );
        out
    }
}

/// `12577` -> `"12,577"`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_sizes_are_refused_before_anything_is_allocated() {
        for arch in [
            Architecture::paper().widths(vec![1 << 40, 8], vec![8, 16]),
            Architecture::paper().widths(vec![usize::MAX, 8], vec![8, usize::MAX]),
            Architecture::paper().image_size(1 << 20, 1 << 20),
        ] {
            let err = arch.validate().unwrap_err().to_string();
            assert!(err.contains("the network is too large"), "{err}");
        }
        assert!(Architecture::paper().validate().is_ok());
        assert!(
            Architecture::paper()
                .widths(vec![512, 256], vec![256, 512])
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn paper_counts_match_the_study() {
        let arch = Architecture::paper();
        assert_eq!(arch.trainable_parameters(), 12_385);
        assert_eq!(arch.non_trainable_parameters(), 192);
        assert_eq!(arch.bottleneck_len(), 784);
        let summary = arch.summary();
        assert!(summary.contains("Total params: 12,577"), "{summary}");
        assert!(summary.contains("conv2d_5 (Conv2D)"), "{summary}");
        assert!(summary.contains("(None, 7, 7, 16)"), "{summary}");
    }

    #[test]
    fn invalid_configurations_are_explained() {
        let odd = Architecture::paper().image_size(30, 28).validate();
        assert!(odd.unwrap_err().to_string().contains("divisible by 4"));
        let unbalanced = Architecture::paper().widths(vec![8], vec![8, 8]).validate();
        assert!(unbalanced.is_err());
        assert!(Architecture::paper().dropout(1.0).validate().is_err());
        assert!(Architecture::paper().image_size(32, 32).validate().is_ok());
    }

    #[test]
    fn activation_order_defaults_to_keras_and_old_files_keep_theirs() {
        let arch = Architecture::paper();
        assert_eq!(arch.activation_order, ActivationOrder::ReluThenBatchNorm);
        let mut json = serde_json::to_value(&arch).unwrap();
        assert_eq!(json["activation_order"], "relu_then_batch_norm");
        json.as_object_mut().unwrap().remove("activation_order");
        let old: Architecture = serde_json::from_value(json).unwrap();
        assert_eq!(old.activation_order, ActivationOrder::BatchNormThenRelu);
        assert_eq!(
            old.trainable_parameters(),
            arch.trainable_parameters(),
            "the order changes no shape"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(12_577), "12,577");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
