"""Model functions of a user's own, importable as `own_models:NAME` (the tests put this folder on PYTHONPATH)."""
import keras

L = keras.layers


def residual_cnn(hp, data):
    "A small residual CNN: a stem, `blocks` residual blocks of two convolutions, global pooling, softmax."
    width = hp.Int("width", 8, 32, sampling="log")
    inp = keras.Input(data.input_shape)
    x = L.Conv2D(width, 3, padding="same", activation="relu", name="stem")(inp)
    for i in range(hp.Int("blocks", 1, 2)):
        y = L.Conv2D(width, 3, padding="same", activation="relu", name=f"block{i}_a")(x)
        y = L.Conv2D(width, 3, padding="same", name=f"block{i}_b")(y)
        if hp.Boolean("batch_norm"): y = L.BatchNormalization(name=f"block{i}_bn")(y)
        x = L.Activation("relu", name=f"block{i}_out")(L.Add(name=f"block{i}_add")([x, y]))
    x = L.Dropout(hp.Float("dropout", 0.0, 0.4))(L.GlobalAveragePooling2D()(x))
    return keras.Model(inp, L.Dense(data.num_classes, activation="softmax", name="output")(x), name="residual_cnn")


def gru_text(hp, data):
    "Embeddings, one GRU (optionally bidirectional), softmax: the define-by-run dialect."
    inp = keras.Input(data.input_shape, dtype="int32")
    x = L.Embedding(data.vocab_size, hp.suggest_int("embedding", 8, 32, log=True), name="embedding")(inp)
    gru = L.GRU(hp.suggest_int("units", 8, 32, log=True), name="gru")
    x = L.Bidirectional(gru, name="bi_gru")(x) if hp.suggest_categorical("bidirectional", [True, False]) else gru(x)
    return keras.Model(inp, L.Dense(data.num_classes, activation="softmax", name="output")(x), name="gru_text")


def compiled_mlp(hp, data):
    "An MLP that arrives compiled: its own optimizer is kept."
    inp = keras.Input(data.input_shape)
    x = L.Dense(hp.Int("units", 16, 64), activation="relu")(L.Flatten()(inp))
    model = keras.Model(inp, L.Dense(data.num_classes, activation="softmax")(x))
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy")
    return model


def returns_none(hp, data):
    hp.Int("units", 1, 2)


def wrong_size(hp, data):
    inp = keras.Input(data.input_shape)
    return keras.Model(inp, L.Dense(data.num_classes + 1, activation="softmax")(L.Flatten()(inp)))


def raises_sometimes(hp, data):
    "Fails for half its configurations, as a user's function with a bug in one branch would."
    if hp.Boolean("buggy"): raise ValueError("this branch of the user's function is broken")
    return compiled_mlp(hp, data)


def linear(hp, data):
    "No hidden activation at all: unit statistics cannot be measured on it."
    inp = keras.Input(data.input_shape)
    x = L.Dense(hp.Int("units", 8, 16))(L.Flatten()(inp))
    return keras.Model(inp, L.Dense(data.num_classes, activation="softmax")(x))


def big_sometimes(hp, data):
    inp = keras.Input(data.input_shape)
    x = L.Dense(4000 if hp.Boolean("big") else 16, activation="relu")(L.Flatten()(inp))
    return keras.Model(inp, L.Dense(data.num_classes, activation="softmax")(x))


def huge(hp, data):
    inp = keras.Input(data.input_shape)
    x = L.Dense(hp.Int("units", 4000, 5000), activation="relu")(L.Flatten()(inp))
    return keras.Model(inp, L.Dense(data.num_classes, activation="softmax")(x))


not_a_function = 42


def _small_cnn(hp, data):
    inp = keras.Input(data.input_shape)
    x = L.Conv2D(hp.Int("width", 8, 8), 3, activation="relu", name="conv")(inp)
    return inp, L.Dense(data.num_classes, activation="softmax", name="output")(L.Flatten()(x))


def focal_cnn(hp, data):
    "Compiled with Keras's categorical focal loss (one-hot labels) and accuracy."
    inp, out = _small_cnn(hp, data)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=keras.losses.CategoricalFocalCrossentropy(), metrics=["accuracy"])
    return model


def top3_cnn(hp, data):
    "Compiled with the sparse cross-entropy and a second metric, top-3 accuracy."
    inp, out = _small_cnn(hp, data)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=3, name="top3")])
    return model


class Penalized(keras.Model):
    "A functional model whose own `train_step` adds an L2 penalty to the compiled loss, and logs the loss and the penalty."
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker, self.penalty_tracker = keras.metrics.Mean(name="loss"), keras.metrics.Mean(name="penalty")

    @property
    def metrics(self):
        return [self.loss_tracker, self.penalty_tracker]

    def train_step(self, data):
        import tensorflow as tf
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            penalty = 1e-3 * tf.add_n([tf.reduce_sum(tf.square(w)) for w in self.trainable_weights if len(w.shape) > 1])
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred) + penalty
        self.optimizer.apply(tape.gradient(loss, self.trainable_weights), self.trainable_weights)
        self.loss_tracker.update_state(loss)
        self.penalty_tracker.update_state(penalty)
        return {"loss": self.loss_tracker.result(), "penalty": self.penalty_tracker.result()}

    def test_step(self, data):
        x, y = data
        self.loss_tracker.update_state(self.compute_loss(x=x, y=y, y_pred=self(x, training=False)))
        return {"loss": self.loss_tracker.result()}


def penalized_cnn(hp, data):
    "A subclass overriding `train_step` (see `Penalized`), compiled with the sparse cross-entropy."
    inp, out = _small_cnn(hp, data)
    model = Penalized(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    return model
