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
