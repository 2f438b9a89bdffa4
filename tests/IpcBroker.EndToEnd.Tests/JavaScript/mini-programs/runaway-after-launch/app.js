// The launch succeeds (onShow returns), and the very next turn recurses past the depth limit.
function down(n) {
  return down(n + 1) + 1;
}

App({
  onShow: function () {
    setTimeout(function () { down(0); }, 0);
  }
});
