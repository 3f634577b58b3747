"""Execute stage: real kernels on notebooks built in memory."""

import os
import time

import numpy as np
import pytest
import zmq
from jupyter_core.utils import run_sync

from grader.execute import template
from grader.execute.notebook import neutralise, run_notebook
from grader.probe.asking import decode, encode
from grader.execute.kernels import KernelSupply
from grader.core.settings import KERNEL_STARTS, ExecuteSettings
from tests.conftest import code, live_kernel, notebook

SECRET = "GRADER_TEST_SECRET"


@pytest.fixture(scope="module", params=KERNEL_STARTS)
def executed(tmp_path_factory, request):
    os.environ[SECRET] = "hidden-value"
    nb = notebook(
        code("import os, pathlib\nprint(sorted(os.listdir('.')))\nprint(os.environ.get('GRADER_TEST_SECRET'))"),
        code("x = 1\nraise ValueError('broken on purpose')", "ex1"),
        code("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\nprint('after', x)", "ex2"),
        code("!pip install torchmetrics\nprint('still here')"),
        code("import time\ntime.sleep(30)"),
        code("print('runs after the timeout')"),
        code("import no_such_package_xyz.sub"),
    )
    settings = ExecuteSettings(cell_timeout=3, probe_timeout=10, kernel_start=request.param)
    yield from live_kernel(nb, tmp_path_factory.mktemp("exec"), settings)
    del os.environ[SECRET]


def _cell(executed, index):
    return next(c for c in executed.result.cells if c.index == index)


def test_kernel_runs_in_a_folder_holding_only_the_submission(executed):
    first = _cell(executed, 2)
    assert first.status == "ok"
    assert first.stdout.splitlines() == ["['submission.ipynb']", "None"]


def test_failing_cell_is_recorded_and_execution_goes_on(executed):
    broken = _cell(executed, 3)
    assert (broken.status, broken.ename, broken.evalue, broken.tags) == ("error", "ValueError", "broken on purpose", ["ex1"])
    assert "raise ValueError" in broken.traceback and "\x1b[" not in broken.traceback
    later = _cell(executed, 4)
    assert later.status == "ok" and later.stdout == "after 1\n" and later.images == 1


def test_shell_escapes_are_neutralised_with_a_note(executed):
    cell = _cell(executed, 5)
    assert cell.status == "ok" and cell.stdout == "still here\n"
    assert "!pip install torchmetrics" in cell.note and cell.source.startswith("!pip install")


def test_timed_out_cell_is_interrupted_and_later_cells_run(executed):
    assert _cell(executed, 6).status == "timeout"
    assert _cell(executed, 7).stdout == "runs after the timeout\n"


def test_records_device_seed_and_versions(executed):
    result = executed.result
    assert result.device == "cpu" and result.seed == 0
    assert {"python", "torch", "numpy"} <= set(result.versions)


def test_neutralise_leaves_ordinary_code_alone():
    assert neutralise("x = 1  # not !pip") == ("x = 1  # not !pip", "")
    cleaned, note = neutralise("%pip install foo\ny = 2")
    assert cleaned.splitlines()[1] == "y = 2" and "%pip install foo" in note


def test_kernel_death_is_recorded_and_later_cells_not_run(tmp_path):
    nb = notebook(code("import os\nos._exit(3)"), code("print('never')"))
    for live in live_kernel(nb, tmp_path):
        statuses = [c.status for c in live.result.cells]
        assert statuses == ["crash", "not-run"]
        assert live.result.kernel_died and "cell 2" in live.result.kernel_message


def test_missing_package_is_named(executed):
    cell = _cell(executed, 8)
    assert cell.status == "error" and cell.ename == "ModuleNotFoundError"
    assert "the package `no_such_package_xyz` is not installed in the grading environment" in cell.note


def test_submission_budget_stops_a_slow_notebook(tmp_path):
    nb = notebook(code("import time\ntime.sleep(1.5)"), code("time.sleep(1.5)"), code("print('late')"))
    settings = ExecuteSettings(cell_timeout=20, submission_timeout=2)
    for live in live_kernel(nb, tmp_path, settings):
        assert [c.status for c in live.result.cells] == ["ok", "timeout", "not-run"]
        assert "used up its 2 s budget" in live.result.cells[2].note


def test_colab_lines_are_neutralised():
    source = "from google.colab import drive\ndrive.mount('/content/drive')\n!nvidia-smi\nx = 1"
    cleaned, note = neutralise(source)
    assert cleaned.splitlines()[3] == "x = 1" and all(line.startswith("pass  #") for line in cleaned.splitlines()[:3])
    assert "google.colab" in note and "nvidia-smi" in note


def test_forked_and_launched_kernels_give_the_same_outputs(tmp_path):
    nb = notebook(
        code("import random, numpy as np, torch\nprint(random.random(), np.random.rand(), torch.rand(2).tolist())\nprint(hash('abc'))"),
        code("import matplotlib.pyplot as plt\nplt.plot([1, 2])"),  # shown without plt.show(), as in Jupyter
        # a module the template did not import: loaded from the Python installation, wherever it lives
        code("import os, sys, sklearn.linear_model\nprint(sorted(os.listdir('.')), os.getuid(), 'torch' in sys.modules)"),
    )
    outputs = {}
    for start in KERNEL_STARTS:
        (tmp_path / start).mkdir()
        for live in live_kernel(nb, tmp_path / start, ExecuteSettings(kernel_start=start)):
            outputs[start] = [(c.status, c.stdout, c.images) for c in live.result.cells]
    assert outputs["fork"] == outputs["launch"]
    assert [images for _, _, images in outputs["fork"]] == [0, 1, 0]


@pytest.mark.skipif(not template.forking_works("python3"), reason="kernels cannot be forked here (no bubblewrap)")
def test_a_dead_template_is_replaced_and_kernels_stay_one_per_submission(tmp_path):
    nb = notebook(code("import os\nprint(os.getcwd())"))
    settings = ExecuteSettings()
    supply = KernelSupply(settings)
    try:
        first = supply.take()
        assert first.forked
        with run_notebook(nb, settings, first) as live:
            first_folder = live.result.cells[0].stdout
        supply.template.process.kill()  # as if the machine's OOM killer had picked it
        supply.template.process.wait()  # the kernel it forked ahead for the next submission died with it
        second = supply.take()
        assert second.forked and supply.template.alive()
        with run_notebook(nb, settings, second) as live:
            assert live.result.cells[0].status == "ok" and live.result.cells[0].stdout != first_folder
    finally:
        supply.close()


def test_kernels_are_launched_where_forking_is_off():
    supply = KernelSupply(ExecuteSettings(sandbox="off"), expected=1)
    kernel = supply.take()
    try:
        assert supply.template is None and not kernel.forked
    finally:
        kernel.close()
        supply.close()


def test_a_flood_keeps_the_progress_lines_and_its_end(tmp_path):
    flood = code(
        "import sys, warnings\n"
        "for epoch in range(0, 100, 10):\n"
        "    sys.stdout.write('noise noise noise\\n' * 20000)\n"
        "    warnings.warn('w' * 100)\n"
        "    print(f'Epoch: {epoch} | loss 0.1')\n"
        "print('training done')"
    )
    for live in live_kernel(notebook(flood), tmp_path):
        stdout = live.result.cells[0].stdout
        assert [f"Epoch: {epoch} |" in stdout for epoch in range(0, 100, 10)] == [True] * 10
        assert stdout.rstrip().endswith("training done") and len(stdout) < 100_000
        assert "characters cut by the grader, matching lines kept" in stdout


def test_indented_shell_lines_stay_valid_python():
    cleaned, note = neutralise("try:\n    !pip install torchmetrics\n    from google.colab import drive\nexcept ImportError:\n    pass")
    compile(cleaned, "cell", "exec")
    assert "pip install torchmetrics" in note


@pytest.mark.parametrize("start", KERNEL_STARTS)
def test_a_request_waits_on_no_empty_flush_and_output_still_arrives_whole(tmp_path, start):
    nb = notebook(
        code("import sys\nprint('one')\nsys.stdout.flush()\nprint('two')\nsys.stdout.write('three')"),
        code("print(get_ipython().kernel._execute_sleep, sys.stdout.flush.__name__, sys.stderr.flush.__name__)"),
    )
    for live in live_kernel(nb, tmp_path, ExecuteSettings(kernel_start=start)):
        first, second = live.result.cells
        assert first.stdout == "one\ntwo\nthree"
        # ipykernel's 0.5 ms sleep and its round trips to the output thread with nothing to send are gone
        assert second.stdout == "0.0 quick_flush quick_flush\n"
        assert live.request("namespace_names") is not None


SPY_CELLS = [
    code(
        "import torch\nfrom torch import nn\ncode_lengths = []\n"
        "class Spy(nn.Module):\n    def forward(self, x):\n"
        "        kernel = get_ipython().kernel\n"
        "        code_lengths.append(len(type(kernel).get_parent(kernel, 'shell')['content']['code']))\n"
        "        return x.sum(dim=1, keepdim=True)\nspy = Spy()"
    ),
]


def _big_forward(live):
    inputs = np.arange(2000 * 64, dtype=np.float32).reshape(2000, 64)  # ~680 kB of base64
    out = decode(live.request("forward", name="spy", inputs=encode(inputs)))
    assert np.array_equal(out, inputs.sum(axis=1, keepdims=True))
    small = decode(live.request("forward", name="spy", inputs=encode(inputs[:2])))
    assert np.array_equal(small, inputs[:2].sum(axis=1, keepdims=True))
    return [int(n) for n in decode(live.request("as_array", name="code_lengths"))]


def test_requests_are_answered_directly_without_a_cell_for_ipython(tmp_path):
    cells = [code(
        "import torch\nfrom torch import nn\ndirect, counts = [], []\n"
        "class Spy(nn.Module):\n    def forward(self, x):\n"
        "        kernel = get_ipython().kernel\n"
        "        direct.append(type(kernel).get_parent(kernel, 'shell')['header']['msg_type'] == 'grader_request')\n"
        "        counts.append(get_ipython().execution_count)\n"
        "        return x.sum(dim=1, keepdim=True)\nspy = Spy()"
    )]
    for live in live_kernel(notebook(*cells), tmp_path):
        assert live.direct == "grader_request"
        inputs = np.arange(2000 * 64, dtype=np.float32).reshape(2000, 64)
        for batch in (inputs, inputs[:2]):  # long arguments as short ones: in the message's content
            assert np.array_equal(decode(live.request("forward", name="spy", inputs=encode(batch))), batch.sum(axis=1, keepdims=True))
        # the grader's own message type, and IPython ran no cell for them (its execution count did not move)
        assert decode(live.request("as_array", name="direct")).tolist() == [True, True]
        first, second = decode(live.request("as_array", name="counts")).tolist()
        assert first == second


def test_a_notebook_that_takes_the_direct_handler_away_is_asked_with_code(tmp_path):
    cells = [*SPY_CELLS, code("get_ipython().kernel.shell_handlers.pop('grader_request')")]
    for live in live_kernel(notebook(*cells), tmp_path):
        started = time.perf_counter()
        code_lengths = _big_forward(live)
        assert live.direct is None and len(code_lengths) == 2
        assert time.perf_counter() - started < live.settings.probe_timeout  # found out at once, not by a timeout


def test_long_arguments_travel_beside_the_code_that_ipython_tokenizes(tmp_path):
    for live in live_kernel(notebook(*SPY_CELLS), tmp_path):
        live.direct = None  # as for a kernel whose helper could not answer requests directly
        big, small = _big_forward(live)
        assert big < 100 < small  # the big batch came beside the request's one line; the small one inside it


def test_a_kernel_that_cannot_read_them_beside_gets_them_in_the_code(tmp_path):
    cells = [*SPY_CELLS, code("get_ipython().kernel.get_parent = lambda channel=None: {}")]
    for live in live_kernel(notebook(*cells), tmp_path):
        live.direct = None
        code_lengths = _big_forward(live)
        assert len(code_lengths) == 2 and min(code_lengths) > 100 and not live._beside


def test_a_reader_that_falls_behind_the_kernel_loses_no_output(tmp_path):
    # 4,000 flushed lines are 4,000 messages: past ZeroMQ's default high-water mark on both sides while the
    # reader sleeps; the kernel's side must queue them rather than drop them (the grader's side already does)
    for live in live_kernel(notebook(code("x = 1")), tmp_path):
        kc = live.client.kc
        shell, iopub = run_sync(kc.get_shell_msg), run_sync(kc.get_iopub_msg)
        socket = kc.iopub_channel.socket
        socket.setsockopt(zmq.RCVHWM, 1000)  # a reader that queues little
        socket.setsockopt(zmq.SUBSCRIBE, b"")  # again: the grader stops reading once the cells are done
        time.sleep(0.5)  # for the subscription to reach the kernel
        msg_id = kc.execute("import sys\nfor i in range(4000):\n    sys.stderr.write(f'{i:05d}' * 400 + '\\n')\n    sys.stderr.flush()")
        assert shell(timeout=60)["content"]["status"] == "ok"  # done, while nothing was read
        time.sleep(1)
        text, idle = "", False
        while not idle:
            msg = iopub(timeout=10)
            if msg["parent_header"].get("msg_id") == msg_id:
                text += msg["content"].get("text", "") if msg["msg_type"] == "stream" else ""
                idle = msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
        assert text.splitlines() == [f"{i:05d}" * 400 for i in range(4000)]
