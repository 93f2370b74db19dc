"""Flag values: decoding command-line text, coercing to types, resolving against an OpDef."""

from __future__ import annotations

import pytest

from guildlike.errors import FlagError
from guildlike.guildfile.flags import SearchSpace, coerce, decode_arg, resolve, split_assigns
from guildlike.guildfile.opdef import FlagDef, OpDef


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1", 1),
        ("-3", -3),
        ("1.5", 1.5),
        ("1e-6", 1e-6),
        ("2E5", 2e5),
        ("1.0e-06", 1e-6),
        ("yes", True),
        ("no", False),
        ("true", True),
        ("False", False),
        ("plain", "plain"),
        ("two words", "two words"),
        ("", ""),
        ("'1'", "1"),
        ("null", None),
        ("a:b", "a:b"),
    ],
)
def test_decode_arg_scalars(raw: str, expected: object) -> None:
    val = decode_arg(raw)
    assert val == expected
    assert type(val) is type(expected)


def test_decode_arg_lists_are_grids() -> None:
    assert decode_arg("[1,2,3]") == [1, 2, 3]
    assert decode_arg("[a, 'b,c']") == ["a", "b,c"]
    assert decode_arg("[yes,no]") == [True, False]


def test_decode_arg_ranges() -> None:
    space = decode_arg("[0.1:0.5]")
    assert isinstance(space, SearchSpace)
    assert (space.func, space.lo, space.hi, str(space)) == ("uniform", 0.1, 0.5, "[0.1:0.5]")
    assert decode_arg("loguniform[1e-4:1e-1]").func == "loguniform"


@pytest.mark.parametrize("raw", ["[]", "[5:1]", "[a:b]", "nosuch[1:2]", "loguniform[0:1]"])
def test_decode_arg_bad_lists_and_ranges(raw: str) -> None:
    with pytest.raises(FlagError):
        decode_arg(raw)


def test_split_assigns() -> None:
    assert split_assigns(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}


def test_split_assigns_rejects_arguments_without_equals() -> None:
    with pytest.raises(FlagError) as e:
        split_assigns(["a=1", "epochs", "=3"])
    assert e.value.message == "invalid argument(s):"
    assert e.value.hints == ["epochs", "=3", "expected NAME=VAL"]
    assert e.value.exit_code == 1


def fd(**kw: object) -> FlagDef:
    return FlagDef(name="x", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "ftype, val, expected",
    [
        ("int", 3, 3),
        ("int", -1, -1),
        ("float", 1, 1.0),
        ("float", 0.5, 0.5),
        ("number", 2, 2),
        ("number", 2.5, 2.5),
        ("boolean", True, True),
        ("boolean", 1, True),
        ("boolean", 0, False),
        ("string", 1, "1"),
        ("string", True, "yes"),
        ("string", 1.5, "1.5"),
        ("string", "x y", "x y"),
        (None, "anything", "anything"),
    ],
)
def test_coerce_accepts(ftype: str | None, val: object, expected: object) -> None:
    out = coerce(fd(type=ftype), "x", val)
    assert out == expected
    assert type(out) is type(expected)


@pytest.mark.parametrize(
    "ftype, val, text",
    [
        ("int", 1.5, "invalid value 1.5 for x: invalid value for type 'int'"),
        ("int", "many", "invalid value many for x: invalid value for type 'int'"),
        ("int", True, "invalid value yes for x: invalid value for type 'int'"),
        ("float", "fast", "invalid value fast for x: invalid value for type 'float'"),
        ("number", "many", "invalid value many for x: invalid value for type 'number'"),
        ("boolean", "maybe", "invalid value maybe for x: invalid value for type 'boolean'"),
        ("boolean", 2, "invalid value 2 for x: invalid value for type 'boolean'"),
    ],
)
def test_coerce_rejects(ftype: str, val: object, text: str) -> None:
    with pytest.raises(FlagError) as e:
        coerce(fd(type=ftype), "x", val)
    assert e.value.message == text
    assert e.value.exit_code == 1


def test_coerce_imported_flags_take_the_type_of_their_default() -> None:
    assert coerce(fd(default=0.1, imported=True), "x", 2) == 2
    assert coerce(fd(default=True, imported=True), "x", False) is False
    assert coerce(fd(default="kitchen", imported=True), "x", 1) == "1"
    with pytest.raises(FlagError, match="type 'number'"):
        coerce(fd(default=0, imported=True), "x", "lots")
    with pytest.raises(FlagError, match="type 'boolean'"):
        coerce(fd(default=False, imported=True), "x", "maybe")


def test_coerce_none_is_left_alone() -> None:
    assert coerce(fd(type="int"), "x", None) is None
    assert coerce(None, "x", "5") == "5"


def test_coerce_min_max() -> None:
    f = fd(type="int", min=1, max=12)
    assert coerce(f, "x", 1) == 1
    assert coerce(f, "x", 12) == 12
    with pytest.raises(FlagError, match=r"^invalid value 0 for x: out of range \(less than min 1\)$"):
        coerce(f, "x", 0)
    with pytest.raises(FlagError, match=r"greater than max 12"):
        coerce(f, "x", 13)


def test_coerce_choices() -> None:
    f = fd(choices=["sgd", "adam", {"value": "rms", "description": "RMSprop"}])
    assert coerce(f, "opt", "adam") == "adam"
    assert coerce(f, "opt", "rms") == "rms"
    with pytest.raises(FlagError) as e:
        coerce(f, "opt", "lbfgs")
    err = e.value
    assert err.prefix is False
    assert err.message == "Unsupported value for 'opt' - supported values are:"
    assert err.hints == ["", "  sgd ", "  adam", "  rms ", "", "Run the command again using one of these options."]


def opdef() -> OpDef:
    return OpDef(
        name="tune",
        flags={
            "epochs": FlagDef("epochs", default=2, type="int"),
            "lr": FlagDef("lr", default=0.1, type="float"),
            "note": FlagDef("note", default=None),
        },
    )


def test_resolve_applies_defaults_and_values() -> None:
    assert resolve(opdef(), {}) == {"epochs": 2, "lr": 0.1, "note": None}
    assert resolve(opdef(), {"lr": 1, "note": "hi"}) == {"epochs": 2, "lr": 1.0, "note": "hi"}


def test_resolve_base_replaces_defaults() -> None:
    base = {"epochs": 5, "lr": 0.2, "note": "old"}
    assert resolve(opdef(), {"epochs": 6}, base=base) == {"epochs": 6, "lr": 0.2, "note": "old"}


def test_resolve_unknown_flag() -> None:
    with pytest.raises(FlagError) as e:
        resolve(opdef(), {"bogus": 1})
    assert e.value.message == "unsupported flag 'bogus'"
    assert e.value.hints == [
        "Try 'guildlike run tune --help-op' for a list of flags or use --force-flags to skip this check."
    ]


def test_resolve_force_flags() -> None:
    assert resolve(opdef(), {"bogus": 1}, force_flags=True)["bogus"] == 1


def test_resolve_model_op_hint_uses_full_name() -> None:
    op = OpDef(name="emit", model="alpha")
    with pytest.raises(FlagError) as e:
        resolve(op, {"x": 1})
    assert "guildlike run alpha:emit --help-op" in e.value.hints[0]


def test_resolve_checks_each_grid_value() -> None:
    assert resolve(opdef(), {"epochs": [1, 2]})["epochs"] == [1, 2]
    with pytest.raises(FlagError, match="invalid value 1.5 for epochs"):
        resolve(opdef(), {"epochs": [1, 1.5]})


def test_resolve_range_needs_numeric_flag() -> None:
    op = OpDef(name="t", flags={"s": FlagDef("s", default="a", type="string")})
    with pytest.raises(FlagError, match="a range needs a numeric flag"):
        resolve(op, {"s": decode_arg("[1:2]")})


def test_resolve_required() -> None:
    op = OpDef(name="t", flags={"data": FlagDef("data", required=True)})
    with pytest.raises(FlagError, match="missing required flag 'data'"):
        resolve(op, {})
    assert resolve(op, {"data": "x"}) == {"data": "x"}
