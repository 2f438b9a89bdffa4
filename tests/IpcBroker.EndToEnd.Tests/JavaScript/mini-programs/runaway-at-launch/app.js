// Recursion past the depth limit in the first onShow: the runaway ends the launch; its answer carries the reason.
function down(n) {
  return down(n + 1) + 1;
}

App({
  onShow: function () {
    down(0);
  }
});
