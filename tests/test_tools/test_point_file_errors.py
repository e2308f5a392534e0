"""A user's point file that numpy cannot read: the error names the file."""
import re

import numpy as np
import pytest

from epcl_mmdet3d.apis import read_point_file


def test_object_and_truncated_npy(tmp_path):
    path = str(tmp_path / 'o.npy')
    np.save(path, np.array([[1, 2, None]], dtype=object))
    with pytest.raises(ValueError, match=re.escape(path) + ': not a readable .npy array '
                                         r'.*allow_pickle'):
        read_point_file(path)
    path = str(tmp_path / 'cut.npy')
    np.save(path, np.zeros((100, 3), dtype=np.float32))
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:-50])
    with pytest.raises(ValueError, match=re.escape(path) + ': not a readable .npy array'):
        read_point_file(path)


@pytest.mark.parametrize('array', [
    np.ones(12, dtype=np.complex64),  # numpy: a ComplexWarning, then a shape error
    np.zeros(4, dtype=[('x', 'f4'), ('y', 'f4'), ('z', 'f4'), ('i', 'c8')]),  # cast silently
], ids=['flat', 'field'])
def test_complex_npy_is_refused_not_cast(tmp_path, array):
    path = str(tmp_path / 'c.npy')
    np.save(path, array)
    with pytest.raises(ValueError, match=re.escape(path) + ' holds complex values'):
        read_point_file(path)


def test_ragged_and_non_numeric_txt(tmp_path):
    ragged = tmp_path / 'r.txt'
    ragged.write_text('1 2 3\n4 5\n6 7 8\n')
    with pytest.raises(ValueError, match=re.escape(str(ragged)) + ': the number of columns '
                                         'changed from 3 to 2'):
        read_point_file(str(ragged))
    word = tmp_path / 'w.xyz'
    word.write_text('1,2,3\n4,x,5\n')
    with pytest.raises(ValueError, match=re.escape(str(word)) + ": could not convert "
                                         "string 'x'"):
        read_point_file(str(word))
