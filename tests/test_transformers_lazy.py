"""dynres_fast.transformers costs nothing until its classes are used."""

import subprocess
import sys


def test_importing_the_package_imports_neither_transformers_nor_torch():
    code = (
        "import sys, dynres_fast, dynres_fast.transformers, dynres_fast.cache\n"
        "heavy = [m for m in ('transformers', 'torch', 'torchvision') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert not dynres_fast.transformers.installed()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_attributes_raise_attribute_error():
    import pytest

    from dynres_fast import transformers as dt

    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        dt.Nope  # noqa: B018
