"""The news-claim pairs the training script builds (models/train_nli.py, models/data/README.md):
which pairs are also trained reversed, and with which label."""

import json

import pytest

from models import train_nli

ROWS = [
    {"premise": "The vote was 61-38.", "hypothesis": "The vote was 60-39.", "label": "contradiction", "type": "number"},
    {"premise": "Reid used the nuclear option on Thursday.", "hypothesis": "Reid used the nuclear option.",
     "label": "entailment", "type": "drop_detail"},
    {"premise": "Palmer owns the course.", "hypothesis": "The course is owned by Palmer.",
     "label": "entailment", "type": "restructure"},
    {"premise": "He left on Sunday.", "hypothesis": "He left on March 29.", "label": "neutral", "type": "relative_date"},
    {"premise": "Police said X.", "hypothesis": "According to police, X.", "label": "entailment", "type": "attribution_kept"},
]


@pytest.fixture
def pairs_file(tmp_path):
    p = tmp_path / "pairs.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return p


def _by_pair(out):
    return {(a, b): train_nli.LABELS[lab] for a, b, lab in out}


def test_symmetric_reverses_only_contradictions_and_symmetric_types(pairs_file):
    got = _by_pair(train_nli.news_pairs([pairs_file]))
    assert len(got) == len(ROWS) + 1  # only the contradiction is reversed
    assert got[("The vote was 60-39.", "The vote was 61-38.")] == "contradiction"


def test_full_reversals(pairs_file):
    got = _by_pair(train_nli.news_pairs([pairs_file], "full"))
    # the less specific side as premise: the detail is missing, so neutral (never contradiction)
    assert got[("Reid used the nuclear option.", "Reid used the nuclear option on Thursday.")] == "neutral"
    # a restructured sentence and a compatible relative date hold both ways
    assert got[("The course is owned by Palmer.", "Palmer owns the course.")] == "entailment"
    assert got[("He left on March 29.", "He left on Sunday.")] == "neutral"
    # an attribution rewording is not reversed (not declared symmetric)
    assert ("According to police, X.", "Police said X.") not in got
    assert len(got) == len(ROWS) + 4


def test_a_file_given_twice_is_read_twice(pairs_file):
    assert len(train_nli.news_pairs([pairs_file, pairs_file])) == 2 * len(train_nli.news_pairs([pairs_file]))


def test_loss_hard_two_way_and_soft_targets():
    import math

    import torch

    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    labels = torch.tensor([0, train_nli.NOT_ENTAILMENT, 2])
    logp = torch.log_softmax(logits, -1)
    hard = [-logp[0, 0], -torch.logsumexp(logp[1, 1:], -1), -logp[2, 2]]
    assert train_nli.loss_fn(logits, labels).item() == pytest.approx(float(sum(hard)) / 3, rel=1e-6)
    # a teacher's probabilities for the third pair only: alpha * H(teacher, student) + (1 - alpha) * hard
    nan = float("nan")
    soft = torch.tensor([[nan] * 3, [nan] * 3, [0.2, 0.3, 0.5]])
    kd = -(torch.tensor([0.2, 0.3, 0.5]) * logp[2]).sum()
    want = (hard[0] + hard[1] + 0.7 * kd + 0.3 * hard[2]) / 3
    got = train_nli.loss_fn(logits, labels, soft, alpha=0.7)
    assert got.item() == pytest.approx(want.item(), rel=1e-6)
    assert not math.isnan(got.item())


def _trained(seed: int):
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 3))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(3):
        model(torch.randn(8, 4)).sum().backward()
        opt.step()
        opt.zero_grad()
    return model, opt


def test_checkpoint_keeps_the_weights_and_optimizer_moments(tmp_path):
    import torch

    model, opt = _trained(0)
    train_nli.save_checkpoint(model, opt, tmp_path, step=3, total=10, plan="p1")
    assert json.loads((tmp_path / "state.json").read_text()) == {"step": 3, "total": 10, "plan": "p1"}
    assert not list(tmp_path.glob("*.tmp"))
    fresh, fresh_opt = _trained(1)
    assert train_nli.load_checkpoint(fresh, fresh_opt, tmp_path, total=10, plan="p1") == 3
    for (_, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        assert torch.equal(a, b)
    a, b = opt.state_dict()["state"], fresh_opt.state_dict()["state"]
    assert a.keys() == b.keys()
    for i in a:
        for k in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(torch.as_tensor(a[i][k]), torch.as_tensor(b[i][k]))


def test_checkpoint_of_another_plan_or_cut_between_files(tmp_path, capsys):
    import torch

    model, opt = _trained(0)
    train_nli.save_checkpoint(model, opt, tmp_path, step=3, total=10, plan="p1")
    with pytest.raises(SystemExit):
        train_nli.load_checkpoint(*_trained(1), tmp_path, total=10, plan="p2")
    with pytest.raises(SystemExit):
        train_nli.load_checkpoint(*_trained(1), tmp_path, total=11, plan="p1")
    # killed after the new weights were swapped in, before the moments and state.json were
    moments = (tmp_path / "optimizer.safetensors").read_bytes()
    state = (tmp_path / "state.json").read_text()
    newer, newer_opt = _trained(2)
    train_nli.save_checkpoint(newer, newer_opt, tmp_path, step=5, total=10, plan="p1")
    (tmp_path / "optimizer.safetensors").write_bytes(moments)
    (tmp_path / "state.json").write_text(state)
    fresh, fresh_opt = _trained(1)
    assert train_nli.load_checkpoint(fresh, fresh_opt, tmp_path, total=10, plan="p1") == 5
    assert torch.equal(fresh[0].weight, newer[0].weight)
    assert "moments" in capsys.readouterr().out  # step-3 moments are not reused for step-5 weights


def test_teacher_labels_are_keyed_by_pair(tmp_path):
    import torch

    f = tmp_path / "labels.jsonl"
    f.write_text(json.dumps({"key": train_nli.pair_key("A man sleeps.", "A man rests."), "probs": [0.9, 0.08, 0.02]})
                 + "\n", encoding="utf-8")
    with open(f, "a", encoding="utf-8") as fh:  # a line cut by a kill mid-write is not read
        fh.write('{"key": "abc", "pro')
    soft = train_nli.load_soft([f])
    assert list(soft) == [train_nli.pair_key("A man sleeps.", "A man rests.")]
    examples = [("A man sleeps.", "A man rests.", 0), ("A man rests.", "A man sleeps.", 1)]
    batch = train_nli.soft_batch(soft, examples, [0, 1])
    assert batch[0].tolist() == pytest.approx([0.9, 0.08, 0.02])
    assert bool(torch.isnan(batch[1]).all())  # no teacher label: the gold label alone
