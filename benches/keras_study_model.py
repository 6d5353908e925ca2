"""The study's convolutional autoencoder in Keras, shared by the reference scripts.

The paper's model (its summary table): Conv2D(activation='relu') + BatchNormalization +
MaxPooling2D + Dropout, twice; Conv2D(relu) + BatchNormalization + UpSampling2D + Dropout,
twice; Conv2D(1, sigmoid); 12,385 + 192 = 12,577 parameters; Keras's default initialisers.
"""

import keras
from keras import layers


def _block(filters):
    return [
        layers.Conv2D(filters, (3, 3), activation="relu", padding="same"),
        layers.BatchNormalization(),
    ]


def study_model(dropout=0.25):
    """The study's autoencoder for 28 x 28 x 1 images, compiled with Adam 1e-3 and the MSE loss."""
    model = keras.Sequential(
        [keras.Input((28, 28, 1))]
        + _block(32)
        + [layers.MaxPooling2D((2, 2)), layers.Dropout(dropout)]
        + _block(16)
        + [layers.MaxPooling2D((2, 2)), layers.Dropout(dropout)]
        + _block(16)
        + [layers.UpSampling2D((2, 2)), layers.Dropout(dropout)]
        + _block(32)
        + [layers.UpSampling2D((2, 2)), layers.Dropout(dropout)]
        + [layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")]
    )
    assert model.count_params() == 12_577, model.count_params()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
    return model
