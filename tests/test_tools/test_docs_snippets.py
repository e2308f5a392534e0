"""The "EPCL inside your mmdet3d model" snippet of docs/tools.md runs as written on a
CPU: its custom_imports bring the CPU branch of mmcv's point ops, which VoteNet's head
calls (without it, mmcv stops with "Found no NVIDIA driver"). A fresh interpreter, so
that no other test has switched the CPU branch on already."""
import os
import os.path as osp
import re
import subprocess
import sys
import textwrap

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

_RUN = textwrap.dedent('''
    import sys

    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    cfg = Config.fromfile(sys.argv[1])  # runs the snippet's custom_imports
    init_default_scope('mmdet3d')
    from mmdet3d.registry import MODELS
    # the tiny test CLIP instead of ViT-B/16 (nothing downloaded); all else as written
    cfg.model.backbone.encoder.clip = dict(type='FrozenCLIPBackbone', arch='EPCL-ViT-Tiny',
                                           pretrained=None)
    model = MODELS.build(cfg.model).eval()
    points = torch.rand(1, 2048, cfg.model.backbone.in_channels)
    with torch.no_grad():
        out = model.bbox_head(model.extract_feat(dict(points=list(points))))
    print('head outputs', sorted(out)[:3])
''')


def _snippet(heading):
    text = open(osp.join(ROOT, 'docs', 'tools.md'), encoding='utf-8').read()
    section = text.split(f'## {heading}\n', 1)[1]
    return re.search(r'```python\n(.*?)```', section, re.S).group(1)


def test_epcl_inside_your_mmdet3d_model_snippet_runs_on_a_cpu(tmp_path):
    config = tmp_path / 'votenet_epcl.py'
    config.write_text(_snippet('EPCL inside your mmdet3d model'))
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='', PYTHONPATH=os.pathsep.join(
        [ROOT] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    out = subprocess.run([sys.executable, '-c', _RUN, str(config)], capture_output=True,
                         text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'head outputs' in out.stdout
