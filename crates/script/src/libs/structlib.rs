//! stub
use mlua::{Lua, Table};
use super::Wrap;
pub(crate) fn open(lua: &Lua, _w: &Wrap) -> mlua::Result<Table> {
    lua.create_table()
}
