"""Submissions that use one hook point each to change how later cells are transformed, compiled,
executed, reported or captured (tests/test_grader_corpus.py).

Each is the untouched release of week 1's first notebook with one cell added after the set-up
cell. Without the grader's witness (``dlcourse.grader.witness``), most of them scored marks:
test cells were rewritten to ``pass``, skipped, or had their errors swallowed. With it, each must
score 0 and be flagged with the text given here.

name -> (the added cell's code, text expected among the flags of the grader's summary)
"""

from __future__ import annotations

from textwrap import dedent

REWRITE = "def rewrite(lines):\n    return ['pass\\n']\n"


def _code(text: str) -> str:
    return dedent(text).strip("\n")


HOOKS: dict[str, tuple[str, str]] = {
    # -- transforming a cell
    "h01-input-transformers-cleanup": (REWRITE + "get_ipython().input_transformers_cleanup.append(rewrite)",
                                       "input_transformers_cleanup"),
    "h02-line-transforms": (REWRITE + "get_ipython().input_transformer_manager.line_transforms.append(rewrite)",
                            "line_transforms"),
    "h03-token-transformers": (_code("""
        from IPython.core.inputtransformer2 import TokenTransformBase
        class Skip(TokenTransformBase):
            @classmethod
            def find(cls, tokens_by_line):
                first = tokens_by_line[0][0].string if tokens_by_line and tokens_by_line[0] else ''
                return None if first in ('pass', '') else cls((1, 0))
            def transform(self, lines):
                return ['pass\\n']
        get_ipython().input_transformer_manager.token_transformers.append(Skip)
        """), "token_transformers"),
    "h04-input-transformers-post": (REWRITE + "get_ipython().input_transformers_post.append(rewrite)",
                                    "input_transformers_post"),
    "h05-ast-transformers": (_code("""
        import ast
        class Empty(ast.NodeTransformer):
            def visit_Module(self, node):
                node.body = [ast.Pass()]
                return node
        get_ipython().ast_transformers.append(Empty())
        """), "ast_transformers"),
    "h06-prefilter": (_code("""
        from IPython.core.prefilter import PrefilterTransformer
        class Quiet(PrefilterTransformer):
            def transform(self, line, continue_prompt):
                return 'pass'
        ip = get_ipython()
        _q = Quiet(shell=ip, prefilter_manager=ip.prefilter_manager, config=ip.config)
        """), "prefilter"),
    # -- compiling
    "h12-compile-ast-parse": (_code("""
        import ast
        get_ipython().compile.ast_parse = lambda source, filename='<unknown>', symbol='exec': ast.parse('pass')
        """), "ast_parse"),
    "h13-builtins-compile": (_code("""
        import builtins
        _compile = builtins.compile
        def compile(source, filename, mode, *a, **k):
            if isinstance(filename, str) and 'ipykernel_' in filename:
                source = 'pass'
            return _compile(source, filename, mode, *a, **k)
        builtins.compile = compile
        """), "builtins.compile"),
    # -- executing
    "h10-run-ast-nodes": ("async def skip(*a, **k):\n    return False\nget_ipython().run_ast_nodes = skip",
                          "run_ast_nodes"),
    "h11-run-code": ("async def skip(*a, **k):\n    return False\nget_ipython().run_code = skip", "run_code"),
    "h14-builtins-exec": (_code("""
        import builtins
        _exec = builtins.exec
        def exec(code, *a, **k):
            if getattr(code, 'co_filename', '').find('ipykernel_') >= 0:
                return None
            return _exec(code, *a, **k)
        builtins.exec = exec
        """), "builtins.exec"),
    "h15-do-execute": (_code("""
        k = get_ipython().kernel
        async def do_execute(*a, **kw):
            return {'status': 'ok', 'execution_count': 1, 'user_expressions': {}, 'payload': []}
        k.do_execute = do_execute
        """), "not confirmed"),
    "h17-events-pre-run-cell": (REWRITE + _code("""
        ip = get_ipython()
        def arm(info):
            if rewrite not in ip.input_transformers_cleanup:
                ip.input_transformers_cleanup.append(rewrite)
        ip.events.register('pre_run_cell', arm)
        """), "events"),
    "h18-trait-observer": (REWRITE + _code("""
        ip = get_ipython()
        def arm(change):
            if rewrite not in ip.input_transformers_cleanup:
                ip.input_transformers_cleanup.append(rewrite)
        ip.observe(arm, names='execution_count')
        """), "observer"),
    "h19-settrace-jump": (_code("""
        import sys
        def tracer(frame, event, arg):
            if 'ipykernel_' in frame.f_code.co_filename and event == 'call':
                return jump
            return None
        def jump(frame, event, arg):
            if event == 'line':
                try:
                    frame.f_lineno = max(ln for _, _, ln in frame.f_code.co_lines() if ln)
                except ValueError:
                    pass
            return jump
        sys.settrace(tracer)
        """), "sys.settrace"),
    "h20-loop-runner": (_code("""
        from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult
        ip = get_ipython()
        ip.should_run_async = lambda *a, **k: True
        def runner(coro):
            coro.close()
            return ExecutionResult(ExecutionInfo('', False, False, False, None))
        ip.loop_runner = runner
        """), "should_run_async"),
    "h22-import-machinery": (_code("""
        import sys
        class Finder:
            def find_spec(self, name, path=None, target=None):
                return None
        sys.meta_path.insert(0, Finder())
        sys.path_hooks.insert(0, lambda path: Finder())
        sys.path_importer_cache.clear()
        """), "sys.meta_path"),
    "h23-gc-callback-signal": (_code("""
        import gc, signal
        gc.callbacks.append(lambda phase, info: None)
        signal.signal(signal.SIGALRM, lambda signum, frame: None)
        signal.setitimer(signal.ITIMER_REAL, 3600)
        """), "gc.callbacks"),
    "h24-torch-global-hooks": (_code("""
        import torch
        from torch.overrides import TorchFunctionMode
        class Lie(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                return func(*args, **(kwargs or {}))
        Lie().__enter__()
        torch.nn.modules.module.register_module_forward_hook(lambda module, inputs, output: output)
        """), "torch function mode"),
    "h26-torch-operator": (_code("""
        import torch
        lib = torch.library.Library("aten", "IMPL")
        lib.impl("allclose", lambda *a, **k: True, "CPU")
        """), "torch operator aten/allclose"),
    "h25-rebound-helpers": (_code("""
        import builtins
        check_close = check_shape = check_dtype = check_equal = lambda *a, **k: None
        builtins.isinstance = lambda *a: True
        """), "builtins.isinstance"),
    # -- reporting an exception
    "h07-custom-exceptions": ("get_ipython().set_custom_exc((Exception,), lambda shell, etype, value, tb, "
                              "tb_offset=None: None)", "custom_exceptions"),
    "h08-showtraceback": ("ip = get_ipython()\nip._showtraceback = lambda *a, **k: None\n"
                          "ip.showtraceback = lambda *a, **k: None", "showtraceback"),
    "h09-class-showtraceback": ("type(get_ipython())._showtraceback = lambda *a, **k: None",
                                "ZMQInteractiveShell._showtraceback"),
    "h16-session-send": (_code("""
        s = get_ipython().kernel.session
        _send = s.send
        def send(stream, msg_or_type, *a, **k):
            if msg_or_type == 'error':
                return None
            return _send(stream, msg_or_type, *a, **k)
        s.send = send
        """), "Session object.send"),
    # -- capturing output
    "h21-stdout-displayhook": (_code("""
        import sys, io
        sys.stdout = io.StringIO()
        sys.displayhook = lambda value: None
        get_ipython().display_pub.publish = lambda *a, **k: None
        """), "sys.displayhook"),
}
