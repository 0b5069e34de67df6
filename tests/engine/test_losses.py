from __future__ import annotations

import torch

from engine._losses import ContentLoss, StyleLoss, TVLoss, gram, style_targets


def test_gram_is_the_seeds_unnormalised_f_ft_per_sample() -> None:
    feats = torch.randn(2, 4, 3, 5)
    g = gram(feats)
    for b in range(2):
        f = feats[b].view(4, 15)
        torch.testing.assert_close(g[b], f @ f.t())


def test_gram_of_channels_last_features_equals_contiguous() -> None:
    feats = torch.randn(2, 8, 6, 7)
    torch.testing.assert_close(gram(feats.contiguous(memory_format=torch.channels_last)), gram(feats))


def test_style_loss_is_weight_times_mean_squared_gram_difference_over_dhw() -> None:
    feats, target_feats = torch.randn(1, 4, 3, 5), torch.randn(1, 4, 3, 5)
    target = gram(target_feats)
    expected = 0.8 * torch.mean((gram(feats)[0] - target[0]) ** 2) / (4 * 3 * 5)
    torch.testing.assert_close(StyleLoss(target, 0.8)(feats), expected.view(1))


def test_content_loss_is_mean_squared_difference_per_sample() -> None:
    a, b = torch.randn(3, 2, 4, 4), torch.randn(3, 2, 4, 4)
    loss = ContentLoss(b)(a)
    assert loss.shape == (3,)
    torch.testing.assert_close(loss[1], torch.mean((a[1] - b[1]) ** 2))


def test_losses_of_one_sample_do_not_depend_on_the_others() -> None:
    a, b = torch.randn(2, 4, 6, 6), torch.randn(2, 4, 6, 6)
    target = gram(b)
    full = StyleLoss(target)(a)
    single = StyleLoss(target[:1])(a[:1])
    torch.testing.assert_close(full[:1], single)
    b2 = b.clone()
    b2[1] += 5
    torch.testing.assert_close(ContentLoss(b2)(a)[0], ContentLoss(b)(a)[0])


def test_tv_loss_is_zero_for_a_flat_image_and_positive_for_an_edge() -> None:
    flat = torch.ones(1, 3, 8, 8)
    edge = flat.clone()
    edge[..., 4:] = 0
    assert TVLoss()(flat).item() == 0
    assert TVLoss()(edge).item() > 0


def test_style_targets_blend_normalises_the_weights() -> None:
    g1, g2 = torch.ones(1, 2, 2), torch.zeros(1, 2, 2)
    torch.testing.assert_close(style_targets([g1, g2], [3.0, 1.0]), torch.full((1, 2, 2), 0.75))
