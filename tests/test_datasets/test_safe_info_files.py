"""Info files read with the data-only unpickler (opt-in through custom_imports): a crafted
``.pkl`` is refused on every loading path, real info files read as with pickle."""
import collections
import glob
import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import mmengine
import numpy as np
import pytest
from mmengine.config import Config

from epcl_mmdet3d.datasets.safe_info_files import EPCLSafePickleHandler, load_info_file
from epcl_mmdet3d.datasets.synthetic import create_synthetic_scannet

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODULE = 'epcl_mmdet3d.datasets.safe_info_files'


class _Payload:
    """Unpickles into a shell command run (what a crafted info file does)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


def _craft(path, marker):
    with open(path, 'wb') as f:
        pickle.dump(dict(metainfo=dict(dataset='scannet'), data_list=[_Payload(marker)]), f)
    return str(path)


@pytest.fixture(scope='module')
def scannet(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('scannet'))
    create_synthetic_scannet(root, num_train=1, num_val=1, num_points=1000)
    return root


def test_opt_in_and_what_it_stops(tmp_path):
    """Importing the plugin leaves mmengine's handler alone; the module swaps it, and a
    crafted file that plain mmengine.load runs is then refused."""
    marker, path = tmp_path / 'ran', _craft(tmp_path / 'infos.pkl', tmp_path / 'ran')
    code = (
        'import os, sys, mmengine\n'
        'from mmengine.fileio.handlers import registry_utils\n'
        'import epcl_mmdet3d\n'
        'assert type(registry_utils.file_handlers["pkl"]).__name__ == "PickleHandler"\n'
        f'mmengine.load({path!r})\n'
        f'assert os.path.exists({str(marker)!r}), "plain pickle did not run it"\n'
        f'os.remove({str(marker)!r})\n'
        f'import {MODULE}\n'
        'try:\n'
        f'    mmengine.load({path!r})\n'
        'except Exception as err:\n'
        '    print(type(err).__name__, err)\n'
        f'assert not os.path.exists({str(marker)!r}), "ran after the opt-in"\n')
    out = subprocess.run([sys.executable, '-c', code], check=True, capture_output=True,
                         text=True).stdout
    assert out.startswith(f'UnpicklingError {path} refers to posix.system, which is not data')


def test_refused_through_mmengine_load_naming_the_file(tmp_path):
    import epcl_mmdet3d.datasets.safe_info_files  # noqa: F401  (the opt-in)
    marker, path = tmp_path / 'ran', _craft(tmp_path / 'infos.pkl', tmp_path / 'ran')
    for load in (mmengine.load, load_info_file,
                 lambda p: EPCLSafePickleHandler().load_from_fileobj(open(p, 'rb'))):
        with pytest.raises(pickle.UnpicklingError,
                           match=re.escape(path) + ' refers to posix.system.*custom_imports'):
            load(path)
    assert not marker.exists()


def test_refused_by_mmdet3d_datasets_and_the_demo(scannet, tmp_path, load_tool):
    """The paths of tools/test.py (mmdet3d's ScanNetDataset) and tools/demo.py."""
    import shutil

    from mmdet3d.datasets import ScanNetDataset

    import epcl_mmdet3d.datasets.safe_info_files  # noqa: F401
    root = str(tmp_path / 'scannet')
    shutil.copytree(scannet, root)
    marker = tmp_path / 'ran'
    path = _craft(osp.join(root, 'scannet_infos_val.pkl'), marker)
    with pytest.raises(pickle.UnpicklingError, match=re.escape(path)):
        ScanNetDataset(root, 'scannet_infos_val.pkl', pipeline=[], box_type_3d='Depth')
    with pytest.raises(pickle.UnpicklingError, match=re.escape(path)):
        load_tool('demo')._has_dataset(root, 1, 1)
    assert not marker.exists()


def test_real_info_files_read_as_with_pickle(scannet, tmp_path):
    import epcl_mmdet3d.datasets.safe_info_files  # noqa: F401
    path = osp.join(scannet, 'scannet_infos_train.pkl')
    with open(path, 'rb') as f:
        expected = pickle.load(f)
    assert mmengine.load(path) == expected
    # numpy arrays, scalars and dtypes, as every pickle protocol writes them
    data = collections.OrderedDict(
        boxes=np.random.default_rng(0).random((5, 7)).astype(np.float32),
        labels=np.arange(5), scalar=np.float64(2.5), dtype=np.dtype('int16'),
        text='scene', raw=b'\x00\x01', nested=[(1, 2.0, None, True), {3, 4}])
    for protocol in (0, 2, 4, 5):
        copy = tmp_path / f'p{protocol}.pkl'
        copy.write_bytes(pickle.dumps(data, protocol=protocol))
        back = mmengine.load(str(copy))
        assert list(back) == list(data) and back['text'] == 'scene'
        np.testing.assert_array_equal(back['boxes'], data['boxes'])
        assert back['scalar'] == 2.5 and back['dtype'] == np.int16
        assert back['nested'] == data['nested'] and back['raw'] == data['raw']
    mmengine.dump(data, str(tmp_path / 'dumped.pkl'))  # mmengine's writer (protocol 2)
    assert mmengine.load(str(tmp_path / 'dumped.pkl'))['labels'].tolist() == [0, 1, 2, 3, 4]


def test_on_in_our_configs():
    configs = [p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
               if '_base_' not in p]
    assert configs
    for path in configs:
        cfg = Config.fromfile(path, import_custom_modules=False)
        assert MODULE in cfg.custom_imports['imports'], path
