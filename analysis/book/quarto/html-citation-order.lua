-- HTML only: one Vancouver numbering for the whole book.
--
-- Each page of an HTML book is a separate citeproc run, which numbers references by their
-- first citation on that page, while references.html numbers them in .bib order (quarto-cli
-- issue 4160). This filter cites every key of the bibliography, in .bib order, in a hidden
-- block at the top of each page, so every page numbers every reference as references.html
-- does. references.bib is kept in order of first citation in the book (a test checks), so
-- that order is the book's Vancouver order, as in the PDF and Word files.

local function bibliography_keys(meta)
  local keys = pandoc.List()
  local files = meta.bibliography
  if files == nil then return keys end
  if pandoc.utils.type(files) ~= "List" then files = pandoc.List({ files }) end
  for _, file in ipairs(files) do
    local path = pandoc.utils.stringify(file)
    local handle = io.open(path, "r")
    if handle == nil and quarto ~= nil and quarto.project ~= nil and quarto.project.directory then
      handle = io.open(pandoc.path.join({ quarto.project.directory, path }), "r")
    end
    if handle ~= nil then
      for key in handle:read("a"):gmatch("@%a+%s*{%s*([^,%s]+)%s*,") do keys:insert(key) end
      handle:close()
    end
  end
  return keys
end

function Pandoc(doc)
  if not quarto.doc.is_format("html") then return nil end
  local keys = bibliography_keys(doc.meta)
  if #keys == 0 then return nil end
  local citations = pandoc.List()
  for _, key in ipairs(keys) do
    citations:insert(pandoc.Cite({ pandoc.Str("@" .. key) }, { pandoc.Citation(key, "NormalCitation") }))
    citations:insert(pandoc.Space())
  end
  local hidden = pandoc.Div({ pandoc.Plain(citations) },
    pandoc.Attr("", { "citation-order", "visually-hidden" }, { { "aria-hidden", "true" }, { "style", "display:none" } }))
  doc.blocks:insert(1, hidden)
  return doc
end
