-- 0003_model_cid.sql - the IPFS CIDv0 of each version's model.onnx, as
-- `ipfs add` computes it (common/cid.c), computed once at upload. Versions
-- uploaded before this migration have none (NULL); their git manifest and
-- chain.json, written after it, still carry it.

ALTER TABLE versions ADD COLUMN model_cid TEXT;
