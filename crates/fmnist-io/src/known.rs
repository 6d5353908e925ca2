//! What is known of Fashion-MNIST: its four files, their pinned digests, its class names.

/// The ten Fashion-MNIST classes, in label order.
pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// One of the four files of the Fashion-MNIST release (and of any IDX data set laid out like it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataFile {
    /// `train-images-idx3-ubyte`: 60,000 images of 28 x 28.
    TrainImages,
    /// `train-labels-idx1-ubyte`: 60,000 labels.
    TrainLabels,
    /// `t10k-images-idx3-ubyte`: 10,000 images of 28 x 28.
    TestImages,
    /// `t10k-labels-idx1-ubyte`: 10,000 labels.
    TestLabels,
}

impl DataFile {
    /// All four, in the order of the release.
    pub const ALL: [DataFile; 4] = [
        DataFile::TrainImages,
        DataFile::TrainLabels,
        DataFile::TestImages,
        DataFile::TestLabels,
    ];

    /// The uncompressed file name; the release ships `<name>.gz`.
    pub fn file_name(self) -> &'static str {
        match self {
            DataFile::TrainImages => "train-images-idx3-ubyte",
            DataFile::TrainLabels => "train-labels-idx1-ubyte",
            DataFile::TestImages => "t10k-images-idx3-ubyte",
            DataFile::TestLabels => "t10k-labels-idx1-ubyte",
        }
    }

    /// Size in bytes of Fashion-MNIST's decompressed file.
    pub fn fashion_mnist_len(self) -> u64 {
        match self {
            DataFile::TrainImages => 47_040_016,
            DataFile::TrainLabels => 60_008,
            DataFile::TestImages => 7_840_016,
            DataFile::TestLabels => 10_008,
        }
    }

    /// SHA-256 of Fashion-MNIST's decompressed file, identical for the upstream release and
    /// Debian's `dataset-fashion-mnist` package (whose gzip bytes differ).
    pub fn fashion_mnist_sha256(self) -> &'static str {
        match self {
            DataFile::TrainImages => {
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
            }
            DataFile::TrainLabels => {
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
            }
            DataFile::TestImages => {
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
            }
            DataFile::TestLabels => {
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
            }
        }
    }

    /// Whether the file holds images (rank 3) rather than labels (rank 1).
    pub fn is_images(self) -> bool {
        matches!(self, DataFile::TrainImages | DataFile::TestImages)
    }
}
