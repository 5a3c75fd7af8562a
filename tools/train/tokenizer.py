"""The project's tokenizer: byte-level. Five special tokens, then one token per byte value.

vocab.txt lists the tokens one a line, the line number being the id: [PAD] [UNK] [CLS] [SEP]
[MASK], then <0x00> .. <0xFF>. The VP reads the same file (platform/bert/tokenizer.cpp) and
refuses any other layout. Byte-level keeps the vocabulary (261) and the embedding table small,
and any text tokenizes without unknown tokens.
"""
PAD, UNK, CLS, SEP, MASK = 0, 1, 2, 3, 4
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
FIRST_BYTE = len(SPECIALS)
VOCAB_SIZE = FIRST_BYTE + 256


def encode(data: bytes):
    return [FIRST_BYTE + b for b in data]


def decode(ids):
    return bytes(i - FIRST_BYTE for i in ids if i >= FIRST_BYTE)


def vocab_lines():
    return SPECIALS + [f"<0x{b:02X}>" for b in range(256)]


def write_vocab(path):
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in vocab_lines()))
