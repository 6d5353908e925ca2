//! The three parts of a run's data (training split, validation split, test set) and the data
//! set split once into them.

use fmnist_io::{FashionMnist, Split, StratifiedSplit};
use fmnist_patches::ImageShape;
use nalgebra::DMatrix;

use crate::error::Result;

/// One value per part of the data: the training split the models are fitted on, the validation
/// split and the test set. `Splits` alone is the three parts in one feature space (a matrix
/// each, one row per image); `Splits<Vec<u8>>` holds their classes, `Splits<Vec<u32>>` their
/// clusters.
#[derive(Debug, Clone, PartialEq)]
pub struct Splits<T = DMatrix<f32>> {
    /// The training split.
    pub train: T,
    /// The validation split.
    pub validation: T,
    /// The test set.
    pub test: T,
}

impl<T> Splits<T> {
    /// Applies `f` to each part, in the order training, validation, test.
    ///
    /// # Errors
    /// The first error of `f`.
    pub fn map<U, E>(
        &self,
        mut f: impl FnMut(&T) -> std::result::Result<U, E>,
    ) -> std::result::Result<Splits<U>, E> {
        Ok(Splits {
            train: f(&self.train)?,
            validation: f(&self.validation)?,
            test: f(&self.test)?,
        })
    }
}

impl<T: Clone> Splits<Vec<T>> {
    /// The values of every part in one list: training split, then validation split, then test
    /// set (the order of [`Splits::stacked`]).
    pub fn concatenated(&self) -> Vec<T> {
        [&self.train, &self.validation, &self.test]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

impl Splits {
    /// The pixels of `data` in [0, 1]: `split`'s training and validation rows of the training
    /// set, and the whole test set.
    ///
    /// # Errors
    /// [`crate::PipelineError::Io`] where `split` names a row that the training set lacks.
    pub fn of_pixels(data: &FashionMnist, split: &Split) -> Result<Self> {
        Ok(Self {
            train: data.train.features(&split.train)?,
            validation: data.train.features(&split.validation)?,
            test: data.test.all_features(),
        })
    }

    /// All rows in one matrix: training split, then validation split, then test set.
    pub fn stacked(&self) -> DMatrix<f32> {
        let parts = [&self.train, &self.validation, &self.test];
        let rows = parts.iter().map(|p| p.nrows()).sum();
        let mut all = DMatrix::zeros(rows, self.train.ncols());
        let mut first = 0;
        for part in parts {
            all.rows_mut(first, part.nrows()).copy_from(part);
            first += part.nrows();
        }
        all
    }
}

/// A data set split once for a run: which training-set rows went to each split, the pixels of
/// the three parts and their classes.
#[derive(Debug, Clone)]
pub struct SplitData<'a> {
    /// The data set.
    pub data: &'a FashionMnist,
    /// The rows of the training set in the training and the validation split.
    pub split: Split,
    /// The pixels of each part, in [0, 1].
    pub pixels: Splits,
    /// The class of every image of each part.
    pub labels: Splits<Vec<u8>>,
}

impl<'a> SplitData<'a> {
    /// Splits `data.train` by `split` (`StratifiedSplit::new()` is the study's: 20 %
    /// validation, seed 0); the test set is the third part, whole.
    ///
    /// # Errors
    /// [`crate::PipelineError::Io`] for a fraction outside [0, 1] or a training set too small
    /// to split.
    pub fn new(data: &'a FashionMnist, split: &StratifiedSplit) -> Result<Self> {
        let split = split.split(data.train.labels())?;
        let classes = |index: &[usize]| -> Vec<u8> {
            index.iter().map(|&i| data.train.labels()[i]).collect()
        };
        Ok(Self {
            pixels: Splits::of_pixels(data, &split)?,
            labels: Splits {
                train: classes(&split.train),
                validation: classes(&split.validation),
                test: data.test.labels().to_vec(),
            },
            split,
            data,
        })
    }

    /// The size of the images.
    pub fn shape(&self) -> ImageShape {
        ImageShape {
            rows: self.data.train.rows(),
            cols: self.data.train.cols(),
        }
    }

    /// The class names, in label order.
    pub fn class_names(&self) -> &[String] {
        self.data.train.class_names()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_map_stack_and_concatenate_in_the_order_train_validation_test() {
        let parts = Splits {
            train: DMatrix::from_row_slice(2, 1, &[1.0, 2.0]),
            validation: DMatrix::from_row_slice(1, 1, &[3.0]),
            test: DMatrix::from_row_slice(1, 1, &[4.0]),
        };
        let doubled = parts
            .map(|x| Ok::<_, ()>(x * 2.0))
            .unwrap()
            .map(|x| Ok::<_, ()>(x.iter().map(|&v| v as u32).collect::<Vec<_>>()))
            .unwrap();
        assert_eq!(doubled.concatenated(), [2, 4, 6, 8]);
        assert_eq!(parts.stacked().as_slice(), &[1.0, 2.0, 3.0, 4.0]);
    }
}
