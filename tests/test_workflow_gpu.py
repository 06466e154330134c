"""GPU tokens: a job takes the machine's GPU only where it will run on one."""

from mdgan.workflow.gpu import gpu_tokens


def test_auto_takes_a_token_only_on_a_machine_with_an_nvidia_gpu(tmp_path):
    present = tmp_path / "nvidia0"
    present.write_text("")
    assert gpu_tokens("auto", present) == 1
    assert gpu_tokens("auto", tmp_path / "absent") == 0


def test_named_devices():
    assert gpu_tokens("cuda") == 1 and gpu_tokens("cuda:1") == 1
    assert gpu_tokens("cpu") == 0 and gpu_tokens("mps") == 0
