# PyTorch side of the trainer benchmark: the same BERT-mini classifier / GPT-mini LM as
# @ft/trainer builds (torch.nn only, no transformers), trained on the batches bench/index.ts wrote.
#
# Usage: python3 torch_bench.py <data-dir> <bert|gpt> <warmup> <steps> <threads>
#        python3 torch_bench.py <data-dir> generate <prompt-tokens> <new-tokens> <repeats> <threads>
# Prints one JSON object on stdout (samples/s, tokens/s, step ms, peak RSS; or generation tokens/s).
# With FT_BENCH_LOCKSTEP=1 it takes turns with our child step by step (see lockstep.ts).
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def peak_rss_mb():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def read_int64(path, shape):
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    t = torch.frombuffer(raw, dtype=torch.int64)
    return t.reshape(shape)


def no_decay(name):
    # Same rule as src/optim/no-decay.ts (Hugging Face Trainer): biases and norm weights.
    return (
        "bias" in name
        or "LayerNorm.weight" in name
        or "layer_norm" in name
        or any(seg.startswith("ln_") for seg in name.split("."))
        or name.lower().endswith("norm.weight")
    )


# ---------------------------------------------------------------- BERT (BertForSequenceClassification)


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["num_attention_heads"]
        self.head_size = c["hidden_size"] // self.heads
        h = c["hidden_size"]
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, x, mask_bias):
        q = self.split(self.query(x))
        k = self.split(self.key(x))
        v = self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + mask_bias
        probs = self.dropout(torch.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(x.shape)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, eps, p = c["hidden_size"], c["layer_norm_eps"], c["hidden_dropout_prob"]
        self.attention = nn.Module()
        self.attention.self = BertSelfAttention(c)
        self.attention.output = nn.Module()
        self.attention.output.dense = nn.Linear(h, h)
        self.attention.output.LayerNorm = nn.LayerNorm(h, eps=eps)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(h, c["intermediate_size"])
        self.output = nn.Module()
        self.output.dense = nn.Linear(c["intermediate_size"], h)
        self.output.LayerNorm = nn.LayerNorm(h, eps=eps)
        self.dropout = nn.Dropout(p)

    def forward(self, x, mask_bias):
        a = self.attention.self(x, mask_bias)
        a = self.attention.output.LayerNorm(self.dropout(self.attention.output.dense(a)) + x)
        i = F.gelu(self.intermediate.dense(a))  # exact (erf) GELU, HF's "gelu"
        return self.output.LayerNorm(self.dropout(self.output.dense(i)) + a)


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.bert = nn.Module()
        emb = nn.Module()
        emb.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=0)
        emb.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        emb.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        emb.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.bert.embeddings = emb
        self.bert.encoder = nn.Module()
        self.bert.encoder.layer = nn.ModuleList(BertLayer(c) for _ in range(c["num_hidden_layers"]))
        self.bert.pooler = nn.Module()
        self.bert.pooler.dense = nn.Linear(h, h)
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.classifier = nn.Linear(h, c["num_labels"])
        init_weights(self, c["initializer_range"])

    def forward(self, input_ids, attention_mask, token_type_ids):
        e = self.bert.embeddings
        t = input_ids.shape[1]
        x = e.word_embeddings(input_ids) + e.position_embeddings.weight[:t] + e.token_type_embeddings(
            token_type_ids
        )
        x = self.dropout(e.LayerNorm(x))
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.bert.encoder.layer:
            x = layer(x, mask_bias)
        pooled = torch.tanh(self.bert.pooler.dense(x[:, 0]))
        return self.classifier(self.dropout(pooled))


# ---------------------------------------------------------------- GPT-2 (GPT2LMHeadModel)


class Conv1D(nn.Module):
    # HF's Conv1D: weight [in, out], y = x·W + b (addmm), as our Gemm without transB.
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        shape = x.shape[:-1] + (self.weight.shape[1],)
        return torch.addmm(self.bias, x.view(-1, x.shape[-1]), self.weight).view(shape)


class Gpt2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, eps = c["n_embd"], c["layer_norm_epsilon"]
        self.heads = c["n_head"]
        self.ln_1 = nn.LayerNorm(h, eps=eps)
        self.attn = nn.Module()
        self.attn.c_attn = Conv1D(h, 3 * h)
        self.attn.c_proj = Conv1D(h, h)
        self.ln_2 = nn.LayerNorm(h, eps=eps)
        self.mlp = nn.Module()
        self.mlp.c_fc = Conv1D(h, 4 * h)
        self.mlp.c_proj = Conv1D(4 * h, h)
        self.attn_dropout = nn.Dropout(c["attn_pdrop"])
        self.resid_dropout = nn.Dropout(c["resid_pdrop"])

    def forward(self, x, bias):
        b, t, h = x.shape
        d = h // self.heads
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(h, dim=2)
        q = q.view(b, t, self.heads, d).permute(0, 2, 1, 3)
        k = k.view(b, t, self.heads, d).permute(0, 2, 3, 1)
        v = v.view(b, t, self.heads, d).permute(0, 2, 1, 3)
        scores = torch.matmul(q, k) / math.sqrt(d) + bias
        probs = self.attn_dropout(torch.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(b, t, h)
        x = x + self.resid_dropout(self.attn.c_proj(ctx))
        # gelu_new through PyTorch's fused tanh-GELU kernel (same function, faster than HF's
        # explicit formula): the baseline gets its best path.
        m = self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x)), approximate="tanh"))
        return x + self.resid_dropout(m)

    def forward_cached(self, x, past, bias):
        # Inference with a KV cache, as HF's GPT2Attention with use_cache: keys/values of the new
        # tokens are appended to `past` ([b, heads, past, d] each) and returned as the new cache.
        b, t, h = x.shape
        d = h // self.heads
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(h, dim=2)
        q = q.view(b, t, self.heads, d).permute(0, 2, 1, 3)
        k = k.view(b, t, self.heads, d).permute(0, 2, 1, 3)
        v = v.view(b, t, self.heads, d).permute(0, 2, 1, 3)
        if past is not None:
            k = torch.cat((past[0], k), dim=2)
            v = torch.cat((past[1], v), dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
        if bias is not None:
            scores = scores + bias
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(b, t, h)
        x = x + self.attn.c_proj(ctx)
        x = x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x)), approximate="tanh"))
        return x, (k, v)


class Gpt2LMHeadModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.Module()
        self.transformer.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.transformer.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.transformer.drop = nn.Dropout(c["embd_pdrop"])
        self.transformer.h = nn.ModuleList(Gpt2Block(c) for _ in range(c["n_layer"]))
        self.transformer.ln_f = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])
        init_weights(self, c["initializer_range"])
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, std=c["initializer_range"] / math.sqrt(2 * c["n_layer"]))

    def forward(self, input_ids, attention_mask):
        tr = self.transformer
        t = input_ids.shape[1]
        x = tr.drop(tr.wte(input_ids) + tr.wpe.weight[:t])
        minv = torch.finfo(x.dtype).min
        steps = torch.arange(t)
        causal = torch.where(steps[None, :] > steps[:, None], minv, 0.0).to(x.dtype)
        pad = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * minv
        bias = causal + pad
        for block in tr.h:
            x = block(x, bias)
        # Tied LM head: logits = h·wteᵀ.
        return torch.matmul(tr.ln_f(x), tr.wte.weight.t())

    def forward_cached(self, input_ids, past):
        # Logits of every new position (as HF computes them) and the updated per-layer cache.
        tr = self.transformer
        t = input_ids.shape[1]
        start = 0 if past is None else past[0][0].shape[2]
        x = tr.wte(input_ids) + tr.wpe.weight[start : start + t]
        bias = None
        if t > 1:
            # Causal over past + new keys: query i sees keys up to start + i.
            keys = torch.arange(start + t)
            queries = torch.arange(start, start + t)
            bias = torch.where(keys[None, :] > queries[:, None], torch.finfo(x.dtype).min, 0.0)
            bias = bias.to(x.dtype)
        present = []
        for i, block in enumerate(tr.h):
            x, kv = block.forward_cached(x, None if past is None else past[i], bias)
            present.append(kv)
        return torch.matmul(tr.ln_f(x), tr.wte.weight.t()), present


def init_weights(model, std):
    for m in model.modules():
        if isinstance(m, (nn.Linear, Conv1D)):
            nn.init.normal_(m.weight, std=std)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=std)
            if m.padding_idx is not None:
                with torch.no_grad():
                    m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


# ---------------------------------------------------------------- generation with a KV cache


def generate_main(data_dir, prompt_tokens, new_tokens, repeats, threads):
    # GPT-mini (same config, its own seeded init), eval mode, greedy decoding with the KV cache,
    # batch 1: one prefill of the prompt, then one token per step. One untimed warm-up generation.
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with open(os.path.join(data_dir, "manifest.json")) as f:
        config = json.load(f)["gpt"]["config"]
    model = Gpt2LMHeadModel(config)
    model.eval()
    prompt = torch.randint(0, config["vocab_size"], (1, prompt_tokens), dtype=torch.int64)

    def generate(n):
        tokens = []
        ids, past = prompt, None
        for _ in range(n):
            logits, past = model.forward_cached(ids, past)
            ids = logits[:, -1, :].argmax(dim=-1, keepdim=True)
            tokens.append(ids)
        return torch.cat(tokens, dim=1)[0].tolist()

    with torch.inference_mode():
        generate(min(new_tokens, 8))
        seconds = 0.0
        cpu = 0.0
        generated = 0
        for _ in range(repeats):
            c0 = time.process_time()
            t0 = time.perf_counter()
            out = generate(new_tokens)
            seconds += time.perf_counter() - t0
            cpu += time.process_time() - c0
            generated += len(out)
    print(
        json.dumps(
            {
                "model": "gpt-generate",
                "torch_version": torch.__version__,
                "threads": torch.get_num_threads(),
                "prompt_tokens": prompt_tokens,
                "new_tokens": new_tokens,
                "repeats": repeats,
                "generated": generated,
                "tokens_per_s": generated / seconds,
                "ms_per_token": seconds * 1000 / generated,
                "cpu_ms_per_token": cpu * 1000 / generated,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


# ---------------------------------------------------------------- training loop


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "generate":
        data_dir, _, prompt_tokens, new_tokens, repeats, threads = sys.argv[1:7]
        generate_main(data_dir, int(prompt_tokens), int(new_tokens), int(repeats), int(threads))
        return
    data_dir, model_kind, warmup, steps, threads = sys.argv[1:6]
    warmup, steps, threads = int(warmup), int(steps), int(threads)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rss_after_import = peak_rss_mb()

    with open(os.path.join(data_dir, "manifest.json")) as f:
        manifest = json.load(f)
    spec = manifest[model_kind]
    config = spec["config"]
    n_batches, batch, seq = spec["batches"], spec["batch"], spec["sequence"]
    arrays = {
        name: read_int64(os.path.join(data_dir, file), shape)
        for name, (file, shape) in spec["arrays"].items()
    }
    if n_batches < warmup + steps:
        raise SystemExit(f"data has {n_batches} batches, need {warmup + steps}")

    if model_kind == "bert":
        model = BertForSequenceClassification(config)

        def loss_of(i):
            logits = model(arrays["input_ids"][i], arrays["attention_mask"][i], arrays["token_type_ids"][i])
            return F.cross_entropy(logits, arrays["labels"][i])

    else:
        model = Gpt2LMHeadModel(config)

        def loss_of(i):
            logits = model(arrays["input_ids"][i], arrays["attention_mask"][i])
            # labels are already shifted (next token, -100 at the end), as on our side.
            return F.cross_entropy(
                logits.view(-1, logits.shape[-1]), arrays["labels"][i].view(-1), ignore_index=-100
            )

    model.train()
    named = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in named if not no_decay(n)], "weight_decay": spec["weight_decay"]},
        {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=spec["lr"], betas=(0.9, 0.999), eps=1e-8)
    n_params = sum(p.numel() for _, p in named)

    losses = []
    times = []
    cpu = []
    lockstep = os.environ.get("FT_BENCH_LOCKSTEP") == "1"
    if lockstep:
        print("@@ready", flush=True)
    for i in range(warmup + steps):
        if lockstep and not sys.stdin.readline():
            raise SystemExit("lockstep: the bench closed stdin before the last step")
        c0 = time.process_time()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_of(i)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), spec["max_grad_norm"])
        opt.step()
        losses.append(loss.item())
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if lockstep:
            print("@@done", flush=True)

    timed = sum(times[warmup:])
    step_s = timed / steps
    print(
        json.dumps(
            {
                "model": model_kind,
                "torch_version": torch.__version__,
                "threads": torch.get_num_threads(),
                "parameters": n_params,
                "warmup": warmup,
                "steps": steps,
                "step_ms": step_s * 1000,
                # Process CPU time (all threads) per timed step: less sensitive to other load.
                "cpu_ms": sum(cpu[warmup:]) / steps * 1000,
                "samples_per_s": batch / step_s,
                "tokens_per_s": batch * seq / step_s,
                "peak_rss_mb": peak_rss_mb(),
                "rss_after_import_mb": rss_after_import,
                "first_loss": losses[0],
                "last_loss": losses[-1],
            }
        )
    )


if __name__ == "__main__":
    main()
