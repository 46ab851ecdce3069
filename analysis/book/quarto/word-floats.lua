-- Word only: a table or figure float becomes a plain Pandoc Table or Figure with its numbered
-- caption, instead of Quarto's one-cell layout table around it (quarto-cli issue 11756).
--
-- Quarto's docx renderer puts every cross-referenced float in a one-cell table with the
-- caption inside; the nesting yields paragraphs with two alignment properties (invalid XML),
-- captions detached from their tables and no repeating header rows. Run at `pre-render`,
-- before that renderer: Pandoc's own docx writer then emits a top-level table with a
-- repeating header row and the caption in Word's "Table Caption" style, and a figure with
-- "Image Caption". The caption keeps its "Table 2.1:" prefix and the float its identifier,
-- so cross-references still point at it.

local function first_of(blocks, tag)
  local found = nil
  pandoc.walk_block(pandoc.Div(blocks), {
    [tag] = function(el)
      if found == nil then found = el end
      return nil
    end,
  })
  return found
end

local function decorated(float)
  local decorate = (quarto.doc.crossref and quarto.doc.crossref.decorate_caption_with_crossref)
    or decorate_caption_with_crossref
  return decorate(float)
end

local function caption_inlines(float)
  if float.caption_long == nil then return pandoc.Inlines({}) end
  return quarto.utils.as_inlines(float.caption_long)
end

return {
  FloatRefTarget = function(float)
    if not quarto.doc.is_format("docx") then return nil end
    local content = float.content.content or float.content
    if pandoc.utils.type(content) == "Block" then content = pandoc.Blocks({ content }) end
    float = decorated(float)
    local caption = caption_inlines(float)
    -- The book's floats are of type Table and Figure; the Supplementary Appendix's are its own
    -- kinds (stbl, sfig: "Table S1"), told apart by what they hold.
    local tbl = first_of(content, "Table")
    if float.type == "Table" or (float.type ~= "Figure" and tbl ~= nil) then
      if tbl == nil then return nil end
      tbl.caption = { long = pandoc.Blocks({ pandoc.Plain(caption) }) }
      return pandoc.Div({ tbl }, pandoc.Attr(float.identifier))
    elseif float.type == "Figure" or first_of(content, "Image") ~= nil then
      local image = first_of(content, "Image")
      if image == nil then return nil end
      local alt = float.attributes and float.attributes["fig-alt"]
      if alt ~= nil and alt ~= "" then image.caption = pandoc.Inlines({ pandoc.Str(alt) }) end
      return pandoc.Figure({ pandoc.Plain({ image }) }, { long = pandoc.Blocks({ pandoc.Plain(caption) }) },
        pandoc.Attr(float.identifier))
    end
    return nil
  end,
}
