"""Official AVSBench metrics (spec avsbench-format §6.1), CPU ports of utility.py."""
import torch


def mask_iou(pred, target, eps=1e-7):
    """pred logits [N,H,W], target [N,H,W] {0,1}. Mean IoU over frames (empty GT -> IoU of bg)."""
    assert pred.shape == target.shape
    N = pred.size(0)
    num_pixels = pred.size(-1) * pred.size(-2)
    no_obj_flag = target.sum(2).sum(1) == 0
    pred = (torch.sigmoid(pred) > 0.5).int()
    target = target.int()
    inter = (pred * target).sum(2).sum(1)
    union = torch.max(pred, target).sum(2).sum(1)
    inter_no_obj = ((1 - target) * (1 - pred)).sum(2).sum(1)
    inter[no_obj_flag] = inter_no_obj[no_obj_flag]
    union[no_obj_flag] = num_pixels
    return (torch.sum(inter / (union + eps)) / N).item()


def _eval_pr_loop(y_pred, y, num):
    """The official per-threshold loop (reference for the vectorised version)."""
    prec, recall = torch.zeros(num), torch.zeros(num)
    thlist = torch.linspace(0, 1 - 1e-10, num)
    for i in range(num):
        y_temp = (y_pred >= thlist[i]).float()
        tp = (y_temp * y).sum()
        prec[i], recall[i] = tp / (y_temp.sum() + 1e-20), tp / (y.sum() + 1e-20)
    return prec, recall


def _eval_pr(y_pred, y, num):
    """Same numbers as the official loop, via counting: for each pixel the number of thresholds
    it reaches (bucketize), then reverse cumulative histograms give Σpred and tp per threshold.
    Pixel counts are exact in float32, so precision/recall are bit-identical to the loop."""
    thlist = torch.linspace(0, 1 - 1e-10, num)
    cnt = torch.bucketize(y_pred.reshape(-1).contiguous(), thlist, right=True)   # #{i: p >= th_i}
    pos = y.reshape(-1) > 0.5
    hist_all = torch.bincount(cnt, minlength=num + 1)
    hist_pos = torch.bincount(cnt[pos], minlength=num + 1)
    pred_sum = hist_all.flip(0).cumsum(0).flip(0)[1:].float()                    # #{cnt >= i+1}
    tp = hist_pos.flip(0).cumsum(0).flip(0)[1:].float()
    return tp / (pred_sum + 1e-20), tp / (y.reshape(-1).float().sum() + 1e-20)


def eval_fmeasure(pred, gt, pr_num=255):
    """pred logits [N,H,W], gt [N,H,W]. Official Eval_Fmeasure (beta^2 = 0.3), CPU."""
    pred = torch.sigmoid(pred)
    N = pred.size(0)
    beta2 = 0.3
    avg_f, img_num = 0.0, 0
    for i in range(N):
        if torch.mean(gt[i]) == 0.0:
            continue
        prec, recall = _eval_pr(pred[i], gt[i].float(), pr_num)
        f = (1 + beta2) * prec * recall / (beta2 * prec + recall)
        f[f != f] = 0
        avg_f += f
        img_num += 1
    if img_num == 0:
        return 0.0
    return (avg_f / img_num).max().item()


def evaluate_clips(logit_list, gt_list, batch_clips=1):
    """Average J and F per batch of ``batch_clips`` clips, like the official test loop
    (test batch size; default 1 as test.py). logit_list/gt_list: per clip [T,H,W]."""
    js, fs = [], []
    for i in range(0, len(logit_list), batch_clips):
        p = torch.cat(logit_list[i:i + batch_clips])
        g = torch.cat(gt_list[i:i + batch_clips])
        js.append(mask_iou(p, g))
        fs.append(eval_fmeasure(p, g))
    return sum(js) / len(js), sum(fs) / len(fs)
