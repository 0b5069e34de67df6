from __future__ import annotations

import pytest
import torch
from torch import nn

from engine._vgg import CONTENT_LAYER, LAYER_INDEX, STYLE_LAYERS, VGGFeatures
from engine._weights import random_state_dict


def _torchvision_features(state: dict[str, torch.Tensor]) -> nn.Sequential:
    from torchvision.models import vgg19

    features = vgg19(weights=None).features
    features.load_state_dict({k.removeprefix("features."): v for k, v in state.items()})
    return features.eval()


def test_taps_match_the_seed_notebooks_features_with_in_place_relus() -> None:
    """The notebook stored conv outputs that torchvision's in-place ReLU then overwrote: ours are those values."""
    state = random_state_dict(seed=3)
    seed_layers = {"0": "conv1_1", "5": "conv2_1", "10": "conv3_1", "19": "conv4_1", "21": "conv4_2", "28": "conv5_1"}
    x = torch.randn(1, 3, 48, 40)
    stored: dict[str, torch.Tensor] = {}
    y = x
    with torch.no_grad():
        for name, layer in _torchvision_features(state)._modules.items():  # the notebook's get_features loop
            y = layer(y)
            if name in seed_layers:
                stored[seed_layers[name]] = y
    model = VGGFeatures(state)
    with torch.no_grad():
        ours = dict(zip(model.layer_names, model(x), strict=True))
    pairs = {"relu4_2": "conv4_2", "relu1_1": "conv1_1", "relu2_1": "conv2_1", "relu3_1": "conv3_1"}
    pairs |= {"relu4_1": "conv4_1", "relu5_1": "conv5_1"}
    for mine, theirs in pairs.items():
        assert torch.equal(ours[mine], stored[theirs]), mine
        assert (ours[mine] >= 0).all()


def test_forward_stops_after_relu5_1_and_weights_are_frozen() -> None:
    model = VGGFeatures(random_state_dict())
    assert len(model.layers) == LAYER_INDEX["relu5_1"] + 1 == 30
    assert not any(p.requires_grad for p in model.parameters())
    assert model.layer_names == (CONTENT_LAYER, *STYLE_LAYERS)
    shallow = VGGFeatures(random_state_dict(), layers=("relu1_1", "relu2_1"))
    assert len(shallow.layers) == LAYER_INDEX["relu2_1"] + 1


def test_average_pooling_replaces_max_pooling_and_changes_deep_features() -> None:
    state = random_state_dict()
    avg, mx = VGGFeatures(state, pooling="avg"), VGGFeatures(state, pooling="max")
    assert sum(isinstance(m, nn.AvgPool2d) for m in avg.layers) == 4
    assert not any(isinstance(m, nn.MaxPool2d) for m in avg.layers)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(avg(x)[1], mx(x)[1])  # relu1_1 comes before any pooling
        assert not torch.allclose(avg(x)[0], mx(x)[0])


def test_too_small_input_and_unknown_layers_are_rejected_with_clear_messages() -> None:
    model = VGGFeatures(random_state_dict())
    with pytest.raises(ValueError, match="too small"):
        model(torch.zeros(1, 3, 8, 64))
    with pytest.raises(ValueError, match="unknown VGG19 layer"):
        VGGFeatures(random_state_dict(), layers=("conv9_9",))
