"""``model.summary()``: Keras 3's table of layers, output shapes and
parameter counts."""
import textwrap

_WIDTHS = (31, 22, 13)     # text width of each column (Keras 3's for Sequential)


def _size(variables):
    count = nbytes = 0
    for v in variables:
        n = 1
        for d in v.shape:
            n *= d
        count += n
        nbytes += n * v.dtype.size
    return count, nbytes


def _readable(nbytes):
    size = float(nbytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _shape(layer):
    shape = layer._output_shape
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _cells(texts):
    """The lines of one row: each cell wrapped to its column."""
    columns = [textwrap.wrap(t, w, break_on_hyphens=False) or [""]
               for t, w in zip(texts, _WIDTHS)]
    height = max(len(c) for c in columns)
    lines = []
    for i in range(height):
        parts = []
        for j, (column, width) in enumerate(zip(columns, _WIDTHS)):
            text = column[i] if i < len(column) else ""
            parts.append(f" {text.rjust(width) if j == 2 else text.ljust(width)} ")
        lines.append("│" + "│".join(parts) + "│")
    return lines


def _rule(left, middle, right, fill):
    return left + middle.join(fill * (w + 2) for w in _WIDTHS) + right


def summary_lines(model):
    lines = [f'Model: "{model.name}"',
             _rule("┏", "┳", "┓", "━"),
             "┃" + "┃".join(f" {t.rjust(w) if i == 2 else t.ljust(w)} " for i, (t, w) in
                            enumerate(zip(("Layer (type)", "Output Shape", "Param #"),
                                          _WIDTHS))) + "┃",
             _rule("┡", "╇", "┩", "━")]
    layers = model.layers
    for i, layer in enumerate(layers):
        count, _ = _size(layer.weights)
        lines.extend(_cells((f"{layer.name} ({type(layer).__name__})", _shape(layer),
                             f"{count:,}")))
        if i < len(layers) - 1:
            lines.append(_rule("├", "┼", "┤", "─"))
    lines.append(_rule("└", "┴", "┘", "─"))
    total = _size(model.weights)
    trainable = _size(model.trainable_weights)
    frozen = _size(model.non_trainable_weights)
    for label, (count, nbytes) in (("Total", total), ("Trainable", trainable),
                                   ("Non-trainable", frozen)):
        lines.append(f" {label} params: {count:,} ({_readable(nbytes)})")
    return lines


def print_summary(model, line_length=None, print_fn=None):
    lines = summary_lines(model)
    if print_fn is None:
        print("\n".join(lines))
    else:
        for line in lines:
            print_fn(line)
