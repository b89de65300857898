# cmake -DIN=file -DOUT=file.inc -P embed_text.cmake: the file as a C++ raw string constant.
file(READ ${IN} content)
file(WRITE ${OUT} "constexpr std::string_view kChatSentimentSchema = R\"grm_embed(${content})grm_embed\";\n")
