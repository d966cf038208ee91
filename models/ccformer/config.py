"""CCFormer configurations. ``tiny`` ships; ``resnet50`` / ``pvt_v2_b5`` are the paper sizes."""
import copy

BASE = dict(
    backbone="tiny_cnn", audio="tiny_vggish",
    d_model=256, n_heads=8, ffn_dim=1024, dropout=0.0,
    enc_layers=3, n_levels=3, n_points=4,
    n_intra=5, n_inter=5, aqg_layers=2, ici_layers=3, iti_layers=3,
    eim=True, ici=True, iti=True, bcl=True, bcl_lambda=0.1, bcl_tau=0.1,
    eim_scales=[0, 1, 2, 3], fpn_inject=[16, 8, 4],
    mask_dim=8, mask_stride=4, task="binary", num_classes=1, clip_frames=5, input_size=[224, 224],
    backbone_widths=None, audio_widths=None,
)

CONFIGS = {
    "tiny": dict(backbone="tiny_cnn", audio="tiny_vggish", d_model=64, n_heads=4, ffn_dim=128,
                 mask_stride=2, input_size=[128, 128], backbone_widths=[16, 24, 48, 96, 128],
                 audio_widths=[16, 32, 64, 96]),
    # CCFormer head on the frozen IS-Net encoder (ccformer-isnet-s4): head widths as tiny, masks
    # at stride 8 from the head, refined with IS-Net's saliency to stride 4 of the 512x512 input
    "isnet": dict(backbone="isnet", audio="tiny_vggish", d_model=64, n_heads=4, ffn_dim=128,
                  mask_stride=4, input_size=[512, 512], audio_widths=[16, 32, 64, 96], eim_scales=[1, 2, 3],
                  fpn_inject=[16, 8]),
    # the shipped tiny model (its backbone on the frames at 160x160, its audio encoder and head) with
    # IS-Net's maps added into its scale slots and its mask refined/gated with IS-Net's saliency
    "tiny_isnet": dict(backbone="tiny_cnn", audio="tiny_vggish", d_model=64, n_heads=4, ffn_dim=128,
                       mask_stride=2, input_size=[160, 160], backbone_widths=[16, 24, 48, 96, 128],
                       audio_widths=[16, 32, 64, 96], isnet_inject=True, tiny_size=160),
    "resnet50": dict(backbone="resnet50", audio="vggish"),
    "pvt_v2_b5": dict(backbone="pvt_v2_b5", audio="vggish"),
}


def get_config(name="tiny", **over):
    cfg = copy.deepcopy(BASE)
    cfg.update(copy.deepcopy(CONFIGS[name]))
    cfg["name"] = name
    for k, v in over.items():
        if v is not None:
            cfg[k] = v
    if cfg["task"] == "binary":
        cfg["num_classes"] = 1
    return cfg
