"""The chunk as one Pallas kernel: each program advances a block of nodes through every step of
the chunk with their state held in the kernel, and writes only the output samples (issue 16).

:func:`make_pallas_chunk_fn` returns a function with the signature and results of
:func:`kernels.model.make_chunk_fn`'s chunk, ``chunk(params, state, env, first_step,
total_steps, dt_s) -> (state, samples)``, computed by :func:`jax.experimental.pallas.pallas_call`
over a grid of node blocks. The physics is the same function, :func:`kernels.model.node_step`,
vmapped over the block; what differs is only where the loop over steps runs. In the XLA chunk
every step is a sequence of XLA kernels (about 250 on the CPU, 25 on a GPU), each reading and
writing the whole fleet's state; here one launch runs ``steps_per_output * outputs_per_chunk``
steps for its block, so on a GPU the state would stay in registers and shared memory between
steps and only the samples would go to memory.

What it supports (everything else raises ``NotImplementedError`` rather than computing
something else): the propagators, shadow and albedo models, substeps, thermal couplings and
heaters of the XLA chunk, every output variable of ``node_step``; not ground stations and not
the shadow contacts' event slots (``make_chunk_fn(ground=..., event_slots>0)``). Gradients: use
the XLA chunk (``pallas_call`` has no general reverse-mode rule).

Status: verified in Pallas's interpret mode on the CPU against the XLA chunk
(tests/kernels/test_pallas_chunk.py, float64, every variable). It has not been lowered to a GPU:
no GPU was lent while it was written. ``benchmarks/gpu_check.py`` tries it (section
``pallas``) on the next GPU and reports whether Triton accepts the step (the small one-hot
matrix products and the float64 transcendentals are the likeliest refusals).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

from .model import node_step, step_tables


def make_pallas_chunk_fn(propagator, shadow_fn, steps_per_output: int, outputs_per_chunk: int,
                         variables: tuple[str, ...], *, block_nodes: int = 128, albedo_model=None, substeps: int = 1,
                         thermal_pairs=None, ground=None, event_slots: int = 0, interpret: bool = False):
    """Chunk function computed by one ``pallas_call`` over node blocks of ``block_nodes``.

    Arguments as :func:`kernels.model.make_chunk_fn` (``ground`` and ``event_slots`` must be
    None and 0). ``interpret``: run the kernel in Pallas's interpret mode (any backend; how
    the CPU tests it). A fleet whose size is not a multiple of ``block_nodes`` is padded with
    copies of its first node, whose results are dropped.
    """
    if ground is not None or event_slots:
        raise NotImplementedError("the Pallas chunk has no ground stations and no event slots: use make_chunk_fn")
    if block_nodes < 1:
        raise ValueError(f"block_nodes = {block_nodes}: must be >= 1")
    variables = tuple(variables)
    n_steps = steps_per_output * outputs_per_chunk

    def step_block(params, state, env, r_sun, t_end_s, dt_s, active, r_sun0):
        def one(p, s):
            return node_step(p, s, env, r_sun, t_end_s, dt_s, active, propagator, shadow_fn, albedo_model,
                             r_sun_start_eci_m=r_sun0, substeps=substeps, thermal_pairs=thermal_pairs)

        return jax.vmap(one)(params, state)

    def chunk(params, state, env, first_step, total_steps, dt_s):
        n = jax.tree_util.tree_leaves(state)[0].shape[0]
        blocks = -(-n // block_nodes)
        padded = blocks * block_nodes

        def pad(x):  # copies of node 0 fill the last block
            return x if padded == n else jnp.concatenate([x, jnp.repeat(x[:1], padded - n, axis=0)])

        params_p, state_p = jax.tree_util.tree_map(pad, (params, state))
        ks, t_end_s, r_sun, r_sun0 = step_tables(env, first_step, n_steps, dt_s)  # as in the XLA chunk

        p_leaves, p_tree = jax.tree_util.tree_flatten(params_p)
        s_leaves, s_tree = jax.tree_util.tree_flatten(state_p)
        e_leaves, e_tree = jax.tree_util.tree_flatten(env)
        scalars = [jnp.reshape(x, (1,)) for x in e_leaves + [jnp.asarray(total_steps), jnp.asarray(dt_s)]]
        tables = [ks, t_end_s, r_sun, r_sun0]

        # the step as a jaxpr with its constants (quadrature nodes, integrator tableaus, ...)
        # passed to the kernel as inputs: a Pallas kernel may not capture arrays
        def step_sampled(p, s, e, sun, t, dt, active, sun0):
            st, diag = step_block(p, s, e, sun, t, dt, active, sun0)
            return st, diag.select(variables)  # KeyError for a name that is not a variable of the step

        def block_of(x):
            return jax.ShapeDtypeStruct((block_nodes,) + x.shape[1:], x.dtype)

        closed, step_out = jax.make_jaxpr(step_sampled, return_shape=True)(
            jax.tree_util.tree_map(block_of, params_p), jax.tree_util.tree_map(block_of, state_p), env, r_sun[0],
            t_end_s[0], jnp.asarray(dt_s), jnp.asarray(True), r_sun0[0])
        step_out_tree = jax.tree_util.tree_structure(step_out)
        # one node's sample of each variable (the block's, less the node axis)
        diag_shape = {v: jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for v, x in step_out[1].items()}
        consts = [jnp.asarray(x) for x in closed.consts]
        const_shapes = [x.shape for x in consts]
        consts = [jnp.reshape(x, (1,)) if x.ndim == 0 else x for x in consts]

        def node_spec(x):  # a block of nodes, whole along every other axis
            return pl.BlockSpec((block_nodes,) + x.shape[1:], lambda i, nd=x.ndim: (i,) + (0,) * (nd - 1))

        def whole_spec(x):
            return pl.BlockSpec(x.shape, lambda i, nd=x.ndim: (0,) * nd)

        def sample_spec(shape):
            return pl.BlockSpec((outputs_per_chunk, block_nodes) + shape,
                                lambda i, nd=len(shape): (0, i) + (0,) * nd)

        in_specs = ([node_spec(x) for x in p_leaves + s_leaves] + [whole_spec(x) for x in scalars]
                    + [whole_spec(x) for x in tables] + [whole_spec(x) for x in consts])
        out_shape = ([jax.ShapeDtypeStruct(x.shape, x.dtype) for x in s_leaves]
                     + [jax.ShapeDtypeStruct((outputs_per_chunk, padded) + diag_shape[v].shape, diag_shape[v].dtype)
                        for v in variables])
        out_specs = [node_spec(x) for x in s_leaves] + [sample_spec(diag_shape[v].shape) for v in variables]
        n_p, n_s, n_e = len(p_leaves), len(s_leaves), len(e_leaves)

        def kernel(*refs):
            p_refs, refs = refs[:n_p], refs[n_p:]
            s_refs, refs = refs[:n_s], refs[n_s:]
            e_refs, (total_ref, dt_ref), refs = refs[:n_e], refs[n_e:n_e + 2], refs[n_e + 2:]
            (ks_ref, t_ref, sun_ref, sun0_ref), refs = refs[:4], refs[4:]
            const_refs, refs = refs[:len(consts)], refs[len(consts):]
            step_consts = [jnp.reshape(r[...], shape) for r, shape in zip(const_refs, const_shapes)]
            state_out, sample_out = refs[:n_s], refs[n_s:]
            blk_params = jax.tree_util.tree_unflatten(p_tree, [r[...] for r in p_refs])
            blk_state = jax.tree_util.tree_unflatten(s_tree, [r[...] for r in s_refs])
            blk_env = jax.tree_util.tree_unflatten(e_tree, [r[0] for r in e_refs])
            total, dt = total_ref[0], dt_ref[0]
            diag0 = {v: jnp.zeros((block_nodes,) + diag_shape[v].shape, diag_shape[v].dtype) for v in variables}

            def one_output(o, st):
                def one_step(i, carry):
                    st, _ = carry
                    j = o * steps_per_output + i
                    args = jax.tree_util.tree_leaves(
                        (blk_params, st, blk_env, sun_ref[j], t_ref[j], dt, ks_ref[j] < total, sun0_ref[j]))
                    return jax.tree_util.tree_unflatten(step_out_tree,
                                                        jax.core.eval_jaxpr(closed.jaxpr, step_consts, *args))

                st, diag = jax.lax.fori_loop(0, steps_per_output, one_step, (st, diag0))
                for v, ref in zip(variables, sample_out):  # the sample at the interval's last step
                    ref[o] = diag[v]
                return st

            st = jax.lax.fori_loop(0, outputs_per_chunk, one_output, blk_state)
            for ref, leaf in zip(state_out, jax.tree_util.tree_leaves(st)):
                ref[...] = leaf

        outs = pl.pallas_call(kernel, out_shape=out_shape, grid=(blocks,), in_specs=in_specs, out_specs=out_specs,
                              interpret=interpret, name="orbital_sim_chunk")(
            *p_leaves, *s_leaves, *scalars, *tables, *consts)
        new_state = jax.tree_util.tree_unflatten(s_tree, [x[:n] for x in outs[:n_s]])
        samples = {v: x[:, :n] for v, x in zip(variables, outs[n_s:])}
        return new_state, samples

    return jax.jit(chunk)

