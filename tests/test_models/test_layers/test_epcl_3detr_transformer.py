import torch

from epcl_mmdet3d.models.layers import EPCLTransformerDecoder


def test_shapes_and_backward():
    torch.manual_seed(0)
    dec = EPCLTransformerDecoder(num_layers=3, embed_dims=32, num_heads=4, ffn_channels=32)
    q, m = torch.zeros(2, 5, 32), torch.randn(2, 9, 32, requires_grad=True)
    out = dec(q, m, torch.randn(2, 5, 32), torch.randn(2, 9, 32))
    assert out.shape == (3, 2, 5, 32)
    assert torch.isfinite(out).all()
    out.sum().backward()
    assert m.grad is not None and m.grad.abs().sum() > 0


def test_scenes_in_a_batch_do_not_attend_to_each_other():
    # The authors' code fed (B, L, D) into a (L, B, D) transformer; guard against it.
    torch.manual_seed(0)
    dec = EPCLTransformerDecoder(num_layers=2, embed_dims=16, num_heads=2,
                                 ffn_channels=16).eval()
    q, qp = torch.zeros(2, 4, 16), torch.randn(2, 4, 16)
    m, mp = torch.randn(2, 6, 16), torch.randn(2, 6, 16)
    out = dec(q, m, qp, mp)
    m2 = m.clone()
    m2[1] = torch.randn(6, 16)  # change the second scene only
    out2 = dec(q, m2, qp, mp)
    torch.testing.assert_close(out[:, 0], out2[:, 0])
    assert not torch.allclose(out[:, 1], out2[:, 1])
