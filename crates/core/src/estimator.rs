//! The estimator traits: parameters fit into models, models predict and transform.
//!
//! The shape is scikit-learn's (`fit`, `predict`, `predict_proba`, `transform`,
//! `inverse_transform`) with linfa's separation of parameters from fitted models: fitting
//! never mutates the parameters, and a fitted model is a value of its own type that can be
//! saved, loaded and applied to new data.

/// Parameters that learn a model from data of type `D`.
///
/// `D` is the training data: a feature matrix for the unsupervised estimators, a matrix and its
/// labels for a supervised one. Implementations run the parameters' `check()` before they touch
/// the data, so that an impossible parameter fails at once.
pub trait Fit<D: ?Sized> {
    /// The fitted model.
    type Fitted;
    /// What can go wrong: an impossible parameter, or data that does not fit.
    type Error: std::error::Error;

    /// Learns a model from `data`.
    ///
    /// # Errors
    /// An impossible parameter, empty or non-finite data, or a numerical failure.
    fn fit(&self, data: &D) -> Result<Self::Fitted, Self::Error>;
}

/// A fitted model that assigns each sample of `X` a label (a cluster or a class).
pub trait Predict<X: ?Sized> {
    /// The labels: one per sample, in the samples' order.
    type Output;
    /// What can go wrong: data of another width than the model's, or non-finite values.
    type Error: std::error::Error;

    /// The label of every sample of `x`.
    ///
    /// # Errors
    /// Data that does not match the model.
    fn predict(&self, x: &X) -> Result<Self::Output, Self::Error>;
}

/// A fitted model that gives each sample of `X` a probability for every label.
pub trait PredictProba<X: ?Sized> {
    /// One row per sample, one column per label, each row summing to 1.
    type Output;
    /// What can go wrong: data of another width than the model's, or non-finite values.
    type Error: std::error::Error;

    /// The probabilities of every label for every sample of `x`.
    ///
    /// # Errors
    /// Data that does not match the model.
    fn predict_proba(&self, x: &X) -> Result<Self::Output, Self::Error>;
}

/// A fitted model that maps each sample of `X` to new features (a projection, an embedding).
pub trait Transform<X: ?Sized> {
    /// The new features: one row per sample.
    type Output;
    /// What can go wrong: data of another width than the model's, or non-finite values.
    type Error: std::error::Error;

    /// The new features of every sample of `x`.
    ///
    /// # Errors
    /// Data that does not match the model.
    fn transform(&self, x: &X) -> Result<Self::Output, Self::Error>;
}

/// A fitted [`Transform`] that maps its features back to the input space.
pub trait InverseTransform<Z: ?Sized> {
    /// Samples in the input space: one row per row of the features.
    type Output;
    /// What can go wrong: features of another width than the model's.
    type Error: std::error::Error;

    /// The input-space samples that the features `z` stand for.
    ///
    /// # Errors
    /// Features that do not match the model.
    fn inverse_transform(&self, z: &Z) -> Result<Self::Output, Self::Error>;
}
